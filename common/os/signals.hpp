// Stop requests shared by every stage: SIGINT, SIGTERM and SIGHUP. The handler records the signal
// number in a volatile sig_atomic_t and writes to an eventfd (non-blocking, O_CLOEXEC) that stays
// readable from then on, so every blocking wait polls it together with its data and a signal can
// never fall between "look at the flag" and "block": the wait returns at once. It is installed
// without SA_RESTART, so a call that cannot be polled returns EINTR. SIGPIPE is ignored: a
// vanished reader shows up as EPIPE. Thread-safe: the flag and the descriptor are per process.
#pragma once

namespace dupipe {

// Installs the handlers and creates the stop descriptor; call once, before any other thread.
void install_stop_handlers();

// The signal that asked us to stop, or 0.
[[nodiscard]] int stop_signal();

// Throws Interrupted if a stop was requested.
void throw_if_stopped();

// Readable (POLLIN) once a stop was requested and forever after; never read it, only poll it.
// -1 before install_stop_handlers(): poll(2) ignores a negative descriptor, so waits then block
// as they did, and only EINTR can end them.
[[nodiscard]] int stop_fd();

// Does what the handler does, from ordinary code: for a thread that must end a sibling blocked
// in a wait on stop_fd() when the stage is failing for another reason (see fetcher::InputPump).
void request_stop(int signal_number);

}  // namespace dupipe
