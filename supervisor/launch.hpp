// The two ways a run goes, over the same pass runner: URL mode (passes that re-feed what a dead
// stage lost, a partial report when the run cannot go on) and directory mode (a pass restarted
// whole after a death). Each returns the launcher's exit status (docs: 0, 1, 2, 129/130/143).
#pragma once

#include "supervisor/options.hpp"
#include "supervisor/say.hpp"

namespace dupipe::supervisor {

[[nodiscard]] int run_url_mode(const LaunchOptions& options, const Say& say);
[[nodiscard]] int run_directory_mode(const LaunchOptions& options, const Say& say);

// --dry-run: the topology either mode would run first, printed on stdout.
[[nodiscard]] int print_dry_run(const LaunchOptions& options);

// 130, 143 or 129: what a shell reports for a run stopped by that signal.
[[nodiscard]] int interrupted_status(int signal_number);

}  // namespace dupipe::supervisor
