// How the supervisor learns of signals and of its children's exits, exactly: SIGINT, SIGTERM,
// SIGHUP and SIGCHLD are blocked for the supervisor's lifetime and read from a signalfd, which is
// the only thing its loop waits on. Nothing is lost between a check and a wait (the signals stay
// pending in the kernel), and no handler runs. Children get the original mask and dispositions
// back before exec (child_process.cpp). One per process; not thread-safe.
#pragma once

#include <signal.h>

#include <cstdint>
#include <vector>

#include "common/os/unique_fd.hpp"

namespace dupipe::supervisor {

class SignalWait {
 public:
  SignalWait();
  SignalWait(const SignalWait&) = delete;
  SignalWait& operator=(const SignalWait&) = delete;
  ~SignalWait();  // restores the signal mask

  // Waits at most `timeout_ms` (-1: no limit) for signals; returns those that arrived (SIGCHLD
  // once however many children exited: reap with waitpid until it finds none).
  [[nodiscard]] std::vector<int> wait(int timeout_ms);
  [[nodiscard]] const sigset_t& original_mask() const { return original_; }

 private:
  sigset_t original_{};
  UniqueFd fd_;
};

// Milliseconds on CLOCK_MONOTONIC.
[[nodiscard]] std::uint64_t now_ms();

}  // namespace dupipe::supervisor
