// What every run owns for its whole length, destroyed in reverse order on every exit path: the
// blocked signals, the run directory, the live-counter area (RUN_DIR/stats names it; the stages
// find it through DUPIPE_STATS), the restart budget and the observers.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "supervisor/observers.hpp"
#include "supervisor/options.hpp"
#include "supervisor/pass_runner.hpp"
#include "supervisor/restart_budget.hpp"
#include "supervisor/run_directory.hpp"
#include "supervisor/say.hpp"
#include "supervisor/shm_links.hpp"
#include "supervisor/signal_wait.hpp"

namespace dupipe::supervisor {

class RunContext {
 public:
  // Creates the run directory and the live counters with `slots` slots; FatalError (naming the
  // segment) if they cannot be made.
  RunContext(const LaunchOptions& options, const std::string& out_dir, std::uint32_t slots,
             const Say& say);
  RunContext(const RunContext&) = delete;
  RunContext& operator=(const RunContext&) = delete;
  // Stops the observers, saves the counters, merges the trace, removes what the run made.
  ~RunContext();

  // What the live counters last showed the process working on ("" if nothing).
  [[nodiscard]] std::string held_by(pid_t pid) const;
  // The hooks of pass `pass`: deaths name what the stage held; once the first pass has started,
  // the run directory's path goes to --run-dir-file, `announce` logs what runs and the observers
  // start (`is_recording`: timeline and progress).
  [[nodiscard]] PassHooks pass_hooks(std::uint32_t pass, std::function<void()> announce,
                                     bool is_recording);
  // RUN_DIR/pass, DUPIPE_PASS.
  void mark_pass(std::uint32_t pass, std::uint64_t accounted);
  void set_status(int status) { status_ = status; }

  const LaunchOptions& options;
  const Say& say;
  SignalWait signals;
  RunDirectory run_dir;
  RestartBudget budget;
  Observers observers;

 private:
  void publish_run_dir() const;

  std::optional<ShmSegment> stats_;
  int status_ = 1;
};

}  // namespace dupipe::supervisor
