// The forked processes of one shm_stress round, owned by the parent. A child runs a function and
// _exit()s with its result (it never returns into the parent's code, whose objects it shares a
// copy of) and dies with the parent (PR_SET_PDEATHSIG). The destructor SIGKILLs and reaps, within
// a bound, whatever still runs, so no child outlives a failed round. Not thread-safe.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace dupipe::shm_stress {

// Blocks SIGCHLD, SIGINT, SIGTERM and SIGHUP for its lifetime: the parent takes them only in
// wait_for_signal, so no handler runs. Children get the previous mask back.
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

// Waits at most `timeout` for SIGCHLD or a stop signal; returns the stop signal taken, or 0.
[[nodiscard]] int wait_for_signal(std::chrono::milliseconds timeout);

struct ChildExit {
  std::string role;
  pid_t pid = -1;
  int status = 0;
  [[nodiscard]] bool is_success() const;
  [[nodiscard]] bool is_sigkilled() const;
  [[nodiscard]] std::string how() const;  // "exited with status 3", "killed by signal 9"
};

class ChildSet {
 public:
  explicit ChildSet(const sigset_t& child_mask) : child_mask_(child_mask) {}
  ChildSet(const ChildSet&) = delete;
  ChildSet& operator=(const ChildSet&) = delete;
  ~ChildSet();

  pid_t spawn(std::string role, const std::function<int()>& body);
  // Children that ended since the last call; never blocks.
  [[nodiscard]] std::vector<ChildExit> reap_exited();
  void kill_running();

  [[nodiscard]] bool is_done() const;
  [[nodiscard]] std::string running_roles() const;

 private:
  struct Child {
    pid_t pid = -1;
    std::string role;
    bool is_running = true;
  };

  std::vector<Child> children_;
  sigset_t child_mask_;
};

}  // namespace dupipe::shm_stress
