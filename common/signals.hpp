// SIGINT/SIGTERM handling shared by every stage. The handler only records the signal number in a
// volatile sig_atomic_t; it is installed without SA_RESTART so a blocked read() or flock() returns
// EINTR and the stage can unwind. SIGPIPE is ignored: a vanished reader shows up as EPIPE.
#pragma once

namespace dupipe {

void install_stop_handlers();

// The signal that asked us to stop, or 0.
[[nodiscard]] int stop_signal();

// Throws Interrupted if a stop was requested.
void throw_if_stopped();

}  // namespace dupipe
