// Watching a run (docs/LAB.md): one helper process, `dupipe-top --record`, samples the live
// counters every 100 ms into OUT/timeline.jsonl and, when stdout is a terminal, redraws the
// progress line; with --monitor the ncurses dupipe-top takes the terminal and the stages' stderr
// goes to OUT/run.log. Neither is a stage: the pass never waits for them, and they are stopped
// once the stages are done. After the run: OUT/stages.jsonl (the final counters), the merged
// --trace file, OUT/report.html. Single-threaded, like the supervisor.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/os/unique_fd.hpp"
#include "supervisor/options.hpp"
#include "supervisor/run_directory.hpp"
#include "supervisor/say.hpp"
#include "supervisor/signal_wait.hpp"

namespace dupipe::supervisor {

class Observers {
 public:
  Observers(const LaunchOptions& options, std::string out_dir, const RunDirectory& run_dir,
            const SignalWait& signals, const Say& say);
  Observers(const Observers&) = delete;
  Observers& operator=(const Observers&) = delete;
  ~Observers();

  // Before the stages start (they inherit DUPIPE_TRACE_DIR and stderr).
  void prepare();
  // Once the stages run; `is_recording`: the timeline and progress line (URL mode).
  void start(bool is_recording);
  // The stages are done or being stopped; idempotent. After a failure under --monitor the log's
  // last lines name the stage that failed.
  void stop(int status);

  void save_stage_counters(const std::string& stats_name) const;
  void merge_trace() const;
  void write_html() const;

 private:
  void stop_helper(pid_t& pid) const;

  const LaunchOptions& options_;
  std::string out_dir_;
  const RunDirectory& run_dir_;
  const SignalWait& signals_;
  const Say& say_;
  pid_t recorder_ = 0;
  pid_t monitor_ = 0;
  UniqueFd saved_stderr_;
};

}  // namespace dupipe::supervisor
