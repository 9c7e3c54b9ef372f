#include "common/os/signals.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>

#include "common/base/error.hpp"

namespace dupipe {
namespace {

// The only mutable globals of the project: written by the handler, read by the waits.
volatile std::sig_atomic_t g_stop_signal = 0;
// Set once by install_stop_handlers() before the handlers exist; read-only afterwards.
volatile std::sig_atomic_t g_stop_fd = -1;

// Async-signal-safe only: a store, write(2), and errno saved because the interrupted code may be
// about to read it. A failed write (EAGAIN once the counter is huge) changes nothing: the eventfd
// is already readable.
extern "C" void record_stop_signal(int signal_number) {
  const int saved_errno = errno;
  g_stop_signal = signal_number;
  if (g_stop_fd >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t ignored = ::write(g_stop_fd, &one, sizeof one);
  }
  errno = saved_errno;
}

}  // namespace

void install_stop_handlers() {
  if (g_stop_fd < 0) {
    // Never closed: it lives as long as the process and the handler may write it at any time.
    const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) throw_errno("create the stop eventfd", errno);
    g_stop_fd = fd;
  }
  struct sigaction action {};
  action.sa_handler = record_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a call that cannot poll stop_fd() must return EINTR
  for (const int signal_number : {SIGINT, SIGTERM, SIGHUP})
    sigaction(signal_number, &action, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);
}

int stop_signal() { return g_stop_signal; }

void throw_if_stopped() {
  if (const int signal_number = g_stop_signal; signal_number != 0) throw Interrupted(signal_number);
}

int stop_fd() { return g_stop_fd; }

void request_stop(int signal_number) {
  if (g_stop_signal == 0) record_stop_signal(signal_number);
}

}  // namespace dupipe
