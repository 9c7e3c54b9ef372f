#include "common/signals.hpp"

#include <csignal>

#include "common/error.hpp"

namespace dupipe {
namespace {

// The only mutable global of the project: written by the handler, read by the stage loop.
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void record_stop_signal(int signal_number) { g_stop_signal = signal_number; }

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = record_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocking calls must return EINTR
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);
}

int stop_signal() { return g_stop_signal; }

void throw_if_stopped() {
  if (const int signal_number = g_stop_signal; signal_number != 0) throw Interrupted(signal_number);
}

}  // namespace dupipe
