// The forked worker processes of a stress-test round, owned by the parent. A child runs a function
// and _exit()s with its result (it never returns into the parent's code, whose objects it shares a
// copy of) and dies with the parent (PR_SET_PDEATHSIG), so a harness timeout leaves no orphans.
// The set reaps without blocking; its destructor SIGKILLs and reaps, within a bound, whatever
// still runs. Used by fifo_stress and shm_stress. Not thread-safe.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/base/logger.hpp"

namespace dupipe::testing {

// Blocks SIGCHLD and the stop signals (SIGINT, SIGTERM, SIGHUP) for its lifetime. The parent
// takes them only in wait_for_signal, so no handler runs and no state is shared with one;
// children get the previous mask back.
class SignalBlock {
 public:
  SignalBlock();
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;
  ~SignalBlock();

  [[nodiscard]] const sigset_t& previous() const { return previous_; }

 private:
  sigset_t previous_{};
};

// Waits at most `timeout` for SIGCHLD or, if `include_stop` is set, a stop signal. Returns the
// stop signal taken, or 0 (a child changed state, or the time ran out).
[[nodiscard]] int wait_for_signal(std::chrono::milliseconds timeout, bool include_stop = true);

struct ChildExit {
  std::string role;
  pid_t pid = -1;
  int status = -1;  // as from waitpid; -1 if waitpid failed
  [[nodiscard]] bool is_success() const;
  [[nodiscard]] bool is_sigkilled() const;
  [[nodiscard]] std::string how() const;  // "exited with status 3", "killed by signal 9"
};

class ChildProcesses {
 public:
  // `program` prefixes the children's log lines ("shm_stress reader 2[pid]: ...").
  ChildProcesses(const sigset_t& child_mask, std::string program)
      : child_mask_(child_mask), program_(std::move(program)) {}
  ChildProcesses(const ChildProcesses&) = delete;
  ChildProcesses& operator=(const ChildProcesses&) = delete;
  ~ChildProcesses();

  // Forks a child that runs `body` and exits with its result (the FatalError's code, or 1, if it
  // throws). `group` lets the caller ask whether all children of one kind are done.
  pid_t spawn(std::string role, const std::function<int(const Logger&)>& body, int group = 0);
  // Children that ended since the last call; never blocks.
  [[nodiscard]] std::vector<ChildExit> reap_exited();
  void kill_running();

  [[nodiscard]] bool is_done() const;
  [[nodiscard]] bool is_group_done(int group) const;
  [[nodiscard]] std::string running_roles() const;

 private:
  struct Child {
    pid_t pid = -1;
    std::string role;
    int group = 0;
    bool is_running = true;
  };

  std::vector<Child> children_;
  sigset_t child_mask_;
  std::string program_;
};

}  // namespace dupipe::testing
