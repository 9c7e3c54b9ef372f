#include "supervisor/child_process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/base/error.hpp"

namespace dupipe::supervisor {
namespace {

// In the child, between fork and exec: async-signal-safe calls only.
void write_stderr(const char* text) { (void)!::write(STDERR_FILENO, text, std::strlen(text)); }

[[noreturn]] void become(const std::vector<std::string>& argv, const ChildIo& io,
                         const sigset_t& original_mask, pid_t parent, char* const* args) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(143);  // the supervisor died before prctl took effect
  const int in = io.stdin_fd >= 0 ? io.stdin_fd : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  // dup2 clears O_CLOEXEC on the copy; a descriptor already in place needs it cleared by hand.
  const int wanted[3] = {in, io.stdout_fd, io.stderr_fd};
  for (int target = 0; target < 3; ++target) {
    if (wanted[target] == target) {
      ::fcntl(target, F_SETFD, 0);
    } else if (wanted[target] < 0 || ::dup2(wanted[target], target) < 0) {
      write_stderr("run_pipeline: cannot set up the descriptors of a stage\n");
      ::_exit(127);
    }
  }
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE})
    ::signal(signal_number, SIG_DFL);
  ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  ::execvp(args[0], args);
  const int error = errno;
  write_stderr("run_pipeline: cannot execute ");
  write_stderr(argv[0].c_str());
  write_stderr(": ");
  write_stderr(std::strerror(error));
  write_stderr("\n");
  ::_exit(127);
}

}  // namespace

pid_t spawn(const std::vector<std::string>& argv, const ChildIo& io,
            const sigset_t& original_mask) {
  std::vector<char*> args;
  for (const std::string& word : argv) args.push_back(const_cast<char*>(word.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("cannot start " + argv.front() + ": fork", errno);
  if (pid == 0) become(argv, io, original_mask, parent, args.data());
  return pid;
}

std::string describe_exit(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    const char* name = ::sigabbrev_np(WTERMSIG(wait_status));
    return std::string("was killed by SIG") +
           (name != nullptr ? name : std::to_string(WTERMSIG(wait_status)).c_str());
  }
  return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
}

int shell_status(int wait_status) {
  return WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : WEXITSTATUS(wait_status);
}

std::vector<Exit> reap_exited() {
  std::vector<Exit> exits;
  int status = 0;
  for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) exits.push_back({pid, status});
  return exits;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno == ECHILD) return 0;  // reaped already, by a sweep of every exited child
    if (errno != EINTR) throw_errno("waitpid " + std::to_string(pid), errno);
  }
  return status;
}

}  // namespace dupipe::supervisor
