// Starting a stage: fork, then in the child set up descriptors 0, 1 and 2 from those given (every
// other descriptor of the supervisor is O_CLOEXEC and disappears at exec), restore the signal
// mask and dispositions, ask the kernel for SIGTERM when the supervisor dies, even by SIGKILL
// (PR_SET_PDEATHSIG: no stage outlives its run), and exec. fork rather than posix_spawn: the
// parent-death signal cannot be asked for through posix_spawn's attributes. The supervisor is
// single-threaded, so the child may run any code before exec.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace dupipe::supervisor {

struct ChildIo {
  int stdin_fd = -1;  // -1: /dev/null
  int stdout_fd = 1;
  int stderr_fd = 2;
};

// The child's pid; FatalError if fork fails. An exec failure is reported by the child on stderr,
// which exits 127 (as a shell does).
[[nodiscard]] pid_t spawn(const std::vector<std::string>& argv, const ChildIo& io,
                          const sigset_t& original_mask);

// "exited with status 3", "was killed by SIGKILL".
[[nodiscard]] std::string describe_exit(int wait_status);

// The shell's view of a wait status: the exit status, or 128 + the signal.
[[nodiscard]] int shell_status(int wait_status);

// Every child that has exited, without waiting: (pid, wait status) pairs.
struct Exit {
  pid_t pid;
  int wait_status;
};
[[nodiscard]] std::vector<Exit> reap_exited();

// Waits for one child (the partial report's aggregator); its wait status, 0 if a
// sweep of every exited child (reap_exited) took it already.
[[nodiscard]] int wait_for(pid_t pid);

}  // namespace dupipe::supervisor
