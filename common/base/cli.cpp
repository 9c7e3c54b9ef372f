#include "common/base/cli.hpp"

#include <iostream>

#include "common/base/error.hpp"
#include "common/base/exit_code.hpp"
#include "common/base/version.hpp"
#include "common/observe/trace_recorder.hpp"
#include "common/os/signals.hpp"

namespace dupipe::cli {

void add_common_options(CLI::App& app, bool& verbose) {
  app.set_version_flag("--version", version_line());
  app.add_flag("-v,--verbose", verbose, "Log every record on stderr");
  app.footer(std::string("\n") + kExitCodeHelp +
             "\nEndpoints (--in/--out): '-' stdin/stdout (default), PATH, fifo:PATH, packet:PATH,\n"
             "shm:NAME (a queue made by dupipe-shm create).\n"
             "Protocol: docs/PROTOCOL.md.");
}

std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : to_int(ExitCode::kUsage);
  }
  return std::nullopt;
}

std::unique_ptr<StageStats> stage_stats(std::string_view role, const Logger& logger) {
  std::string problem;
  auto stats = StageStats::from_environment(role, &problem);
  if (!problem.empty()) logger.warning(problem);
  if (stats) stats->attach_trace(TraceRecorder::from_environment(role, logger));
  return stats;
}

int run_stage(const std::string& program, bool verbose,
              const std::function<void(const Logger&)>& body) {
  install_stop_handlers();
  const Logger logger(program, std::cerr, verbose);
  try {
    body(logger);
    throw_if_stopped();
    return to_int(ExitCode::kOk);
  } catch (const Interrupted& e) {
    logger.warning(e.what());
    return 128 + e.signal_number();
  } catch (const FatalError& e) {
    logger.error(e.what());
    return to_int(e.exit_code());
  } catch (const std::exception& e) {
    logger.error(std::string("internal error: ") + e.what());
    return to_int(ExitCode::kFailure);
  }
}

}  // namespace dupipe::cli
