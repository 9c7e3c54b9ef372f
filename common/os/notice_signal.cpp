#include "common/os/notice_signal.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/base/error.hpp"

namespace dupipe {
namespace {

sigset_t only(int signal_number) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal_number);
  return set;
}

std::string name_of(int signal_number) {
  const char* name = ::sigabbrev_np(signal_number);
  return name != nullptr ? std::string("SIG") + name : "signal " + std::to_string(signal_number);
}

}  // namespace

NoticeSignal::NoticeSignal(int signal_number) : signal_number_(signal_number) {
  const sigset_t set = only(signal_number);
  if (const int error = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); error != 0) {
    throw_errno("block " + name_of(signal_number), error);
  }
  const int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) throw_errno("signalfd for " + name_of(signal_number), errno);
  fd_.reset(fd);
}

NoticeSignal::~NoticeSignal() {
  // Ignored from now on, then unblocked: a notice that comes late (while the stage finishes) is
  // dropped, where the default action of SIGUSR1 would kill the process.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(signal_number_, &ignore, nullptr);
  const sigset_t set = only(signal_number_);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

std::uint32_t NoticeSignal::take() {
  std::uint32_t taken = 0;
  signalfd_siginfo info{};
  while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) ++taken;
  return taken;
}

}  // namespace dupipe
