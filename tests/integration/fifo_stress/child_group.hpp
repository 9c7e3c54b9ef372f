// The forked worker processes of one fifo_stress round, owned by the parent. Each child runs a
// function and _exit()s with its result (never returning into the parent's code, whose objects
// it shares a copy of). The group reaps without blocking; its destructor SIGKILLs and reaps,
// within a bound, whatever still runs, so no child outlives a failed round. Not thread-safe.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/logger.hpp"

namespace dupipe::fifo_stress {

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
[[nodiscard]] int wait_for_signal(std::chrono::milliseconds timeout, bool include_stop);

struct ChildExit {
  std::string role;
  bool is_success = false;
  std::string how;  // "exited with status 3", "killed by signal 9"
};

class ChildGroup {
 public:
  explicit ChildGroup(const sigset_t& child_mask) : child_mask_(child_mask) {}
  ChildGroup(const ChildGroup&) = delete;
  ChildGroup& operator=(const ChildGroup&) = delete;
  ~ChildGroup();

  // Forks a child that runs `body` with a logger named after `role` and exits with its result
  // (the FatalError's code, or 1, if it throws).
  void spawn(std::string role, bool is_writer, const std::function<int(const Logger&)>& body);
  // Children that exited since the last call; never blocks.
  [[nodiscard]] std::vector<ChildExit> reap_exited();
  void kill_running();

  [[nodiscard]] bool are_writers_done() const;
  [[nodiscard]] bool are_readers_done() const;
  [[nodiscard]] bool is_done() const;
  [[nodiscard]] std::string running_roles() const;

 private:
  struct Child {
    pid_t pid = -1;
    std::string role;
    bool is_writer = false;
    bool is_running = true;
  };

  std::vector<Child> children_;
  sigset_t child_mask_;
};

}  // namespace dupipe::fifo_stress
