// What every stage's main() shares: --version and the exit-code list on the command line, and
// one place that maps the error model (FatalError, Interrupted) to documented exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/base/logger.hpp"
#include "common/observe/stage_stats.hpp"

namespace dupipe::cli {

// Adds --version, --verbose and the exit-code footer to a stage's CLI::App.
void add_common_options(CLI::App& app, bool& verbose);

// Parses; returns an exit code when the program should stop now (--help, --version, bad usage).
[[nodiscard]] std::optional<int> parse(CLI::App& app, int argc, char** argv);

// Installs the stop handlers and runs the stage, mapping exceptions to exit codes; errors are
// logged through the program's logger.
[[nodiscard]] int run_stage(const std::string& program, bool verbose,
                            const std::function<void(const Logger&)>& body);

// The live counters of this stage when the launcher made a stats area (DUPIPE_STATS), else
// nullptr; a problem with the area is logged as a warning and the stage runs without them. Under
// --trace (DUPIPE_TRACE_DIR) the counters carry the stage's TraceRecorder too.
[[nodiscard]] std::unique_ptr<StageStats> stage_stats(std::string_view role, const Logger& logger);

}  // namespace dupipe::cli
