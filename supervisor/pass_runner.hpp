// One pass of a topology: creates its links, starts every process, and supervises them until all
// have finished — restarting a dead one with backoff within the role's restart intensity (or, for
// a topology whose stream cannot be repaired, ending the pass so it starts again), releasing each
// link once its last writer has exited, and stopping everything on SIGINT/SIGTERM/SIGHUP or when
// a death cannot be recovered. The links are removed when the runner is destroyed.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "supervisor/link_writers.hpp"
#include "supervisor/restart_budget.hpp"
#include "supervisor/run_directory.hpp"
#include "supervisor/say.hpp"
#include "supervisor/shm_links.hpp"
#include "supervisor/signal_wait.hpp"
#include "supervisor/topology.hpp"

namespace dupipe::supervisor {

enum class PassEnd {
  kFinished,     // every process exited with status 0
  kStageFailed,  // a death that cannot be recovered (named on stderr); everything stopped
  kRestartPass,  // OnDeath::kRestartPass: a process died, the rest were stopped; run it again
  kInterrupted,  // SIGINT, SIGTERM or SIGHUP; everything stopped
};

struct PassOutcome {
  PassEnd end = PassEnd::kFinished;
  int signal_number = 0;               // kInterrupted
  std::uint64_t restart_delay_ms = 0;  // kRestartPass
};

// What the runner needs from its caller.
struct PassHooks {
  // What the live counters last showed the process working on ("" if nothing).
  std::function<std::string(pid_t)> held_by = [](pid_t) { return std::string(); };
  // Every process has been started (the first time only).
  std::function<void()> on_started = [] {};
  // A child that is not a stage of this pass exited (an observer).
  std::function<void(pid_t, int)> on_other_exit = [](pid_t, int) {};
};

class PassRunner {
 public:
  PassRunner(const Topology& topology, const RunDirectory& run_dir, SignalWait& signals,
             RestartBudget& budget, const Say& say, std::uint64_t shm_capacity);
  PassRunner(const PassRunner&) = delete;
  PassRunner& operator=(const PassRunner&) = delete;
  ~PassRunner();  // stops what still runs, removes the links

  // Creates the links; FatalError naming a link that cannot be created (nothing started then).
  void create_links();
  [[nodiscard]] PassOutcome run(const PassHooks& hooks);
  // SIGTERM once to every live stage, SIGKILL to those still alive after `grace_ms`.
  void stop_all(std::uint64_t grace_ms = kGraceMs);

  static constexpr std::uint64_t kGraceMs = 5000;

 private:
  struct Pending {
    std::size_t process;
    std::uint64_t due_ms;
  };
  void start(std::size_t process);
  [[nodiscard]] std::optional<PassOutcome> on_exit(pid_t pid, std::size_t process, int status,
                                                   const PassHooks& hooks);
  [[nodiscard]] std::optional<PassOutcome> on_death(pid_t pid, std::size_t process, int status,
                                                    const PassHooks& hooks);
  [[nodiscard]] bool release(const std::string& link);
  // Sends the topology's death notices for a dead process of `role`; a notice for a role with no
  // process running (it is dead too, waiting for its restart) is owed to its next start.
  void notify_death_of(const std::string& role);
  void owe_again(pid_t pid, const std::string& role);
  // How long before its death a notice to a process is in doubt.
  static constexpr std::uint64_t kNoticeDoubtMs = 2000;
  // The signal mask `spec` starts with: the supervisor's original, with the notices it may be
  // sent blocked, so one sent before the stage takes it (signalfd) waits instead of killing it.
  [[nodiscard]] sigset_t start_mask(const ProcessSpec& spec) const;
  [[nodiscard]] int next_timeout_ms() const;
  void reap(const PassHooks& hooks, std::optional<PassOutcome>& outcome);

  const Topology& topology_;
  const RunDirectory& run_dir_;
  SignalWait& signals_;
  RestartBudget& budget_;
  const Say& say_;
  std::uint64_t shm_capacity_;
  std::map<std::string, FifoLink> fifos_;
  std::map<std::string, ShmSegment> queues_;
  LinkWriters writers_;
  std::map<pid_t, std::size_t> running_;  // pid -> index in topology_.processes
  std::vector<Pending> pending_;
  std::set<std::pair<std::string, int>> owed_;  // (role, signal): notices for its next start
  struct Told {
    int signal_number;
    std::uint64_t at_ms;
  };
  std::map<pid_t, std::vector<Told>> told_;  // notices sent to each running process
};

}  // namespace dupipe::supervisor
