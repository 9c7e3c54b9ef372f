// The launcher's command line (scripts/run_pipeline.sh hands it over unchanged): every option of
// URL mode and directory mode, parsed with CLI11 and checked before anything is created, so a bad
// value stops the run with exit 2 and a message naming the option.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/restart_budget.hpp"
#include "supervisor/topology.hpp"

namespace dupipe::supervisor {

enum class Progress { kAuto, kOn, kOff };

struct LaunchOptions {
  // Every program the supervisor starts is found here: the stages and the helper dupipe-top. A
  // checkout has them all in build/bin; an installed dupipe has the stages in libexec/dupipe and
  // the tools in bin/, with symlinks to them in libexec/dupipe (dist/CMakeLists.txt), so that
  // one directory, or one --bin-dir of stand-ins, holds it all.
  std::string bin_dir;
  std::uint32_t fetchers = 4;
  std::uint32_t hashers = 1;  // default: the number of cores, set by parse_options
  std::uint32_t transfers = 8;
  std::string algo = "sha256";
  std::string out = "dupipe-out";
  Transport transport = Transport::kFifo;
  std::map<std::string, Transport> link_overrides;
  std::uint64_t shm_capacity = 1 << 20;
  std::string run_id;  // default: PID-RANDOM
  // Set by the supervisor as it starts (PID-MILLISECONDS): tells this launch from a --resume of
  // the same run id, whose fetchers are new. Empty for --dry-run.
  std::string launch_stamp;
  bool is_cleanup = false;
  bool is_dry_run = false;
  bool keep_run_dir = false;
  std::string run_dir_file;  // --run-dir-file: gets the run directory's path once it exists
  bool is_resume = false;
  RestartPolicy restart;
  std::uint32_t refeeds = 3;
  std::string producer_cmd;
  std::string hasher_cmd;
  std::vector<std::string> producer_args;  // passed through to the producer
  std::vector<std::string> fetcher_args;   // ... to every fetcher
  std::vector<std::string> stage_args;     // ... to every stage (-v)
  bool is_monitor = false;
  Progress progress = Progress::kAuto;
  std::string trace_file;
  std::string urls_file;  // "" with --resume (the kept copy is used), "-" for stdin
  // Crawl mode (--crawl): urls_file holds the seeds; the producer is the frontier and the
  // fetchers send it each page's links on the `links` link (docs/CRAWL.md).
  bool is_crawl = false;
  std::vector<std::string> crawl_args;  // passed through to the producer
  bool was_crawl = false;               // a re-feed pass of a crawl: the report keeps its depths
  // Directory mode (--dir).
  std::vector<std::string> dirs;
  std::vector<std::string> walk_args;
  std::vector<std::string> group_args;
  std::vector<std::string> report_args;
  // Test hooks, from the environment (DUPIPE_TEST_PAUSE_DIR, DUPIPE_TEST_MAX_OPEN_FILES).
  std::string test_pause_dir;
  std::string test_max_open_files;

  [[nodiscard]] bool is_directory_mode() const { return !dirs.empty(); }
  [[nodiscard]] Transport transport_of(const std::string& link) const;
};

// What parsing decided: run with the options, or exit now with `exit_code` (help printed, or a
// usage error already reported on stderr).
struct ParseOutcome {
  std::optional<LaunchOptions> options;
  int exit_code = 0;
};

[[nodiscard]] ParseOutcome parse_options(int argc, char** argv);

// The --help text.
[[nodiscard]] std::string usage_text(std::uint32_t cores);

}  // namespace dupipe::supervisor
