#include "supervisor/signal_wait.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "common/base/error.hpp"

namespace dupipe::supervisor {

SignalWait::SignalWait() {
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&handled, signal_number);
  if (::sigprocmask(SIG_BLOCK, &handled, &original_) != 0) throw_errno("sigprocmask", errno);
  const int fd = ::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) throw_errno("signalfd", errno);
  fd_.reset(fd);
  // A stage killed while the supervisor writes to it must not kill the supervisor.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, nullptr);
}

SignalWait::~SignalWait() { ::sigprocmask(SIG_SETMASK, &original_, nullptr); }

std::vector<int> SignalWait::wait(int timeout_ms) {
  pollfd ready{fd_.get(), POLLIN, 0};
  if (::poll(&ready, 1, timeout_ms) < 0 && errno != EINTR)
    throw_errno("poll on the signalfd", errno);
  std::vector<int> arrived;
  signalfd_siginfo info{};
  while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    arrived.push_back(static_cast<int>(info.ssi_signo));
  }
  return arrived;
}

std::uint64_t now_ms() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000 +
         static_cast<std::uint64_t>(now.tv_nsec) / 1'000'000;
}

}  // namespace dupipe::supervisor
