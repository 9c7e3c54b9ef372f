// The exit statuses every dupipe program uses, in one place so that --help, docs/ and the
// launcher agree. A stage killed by signal N exits 128+N, like a shell reports it.
#pragma once

namespace dupipe {

enum class ExitCode : int {
  kOk = 0,             // the stage finished its input; per-record failures are data, not errors
  kFailure = 1,        // an endpoint, file or system call failed (message on stderr names it)
  kUsage = 2,          // bad command line
  kProtocol = 3,       // the input held a record that does not follow docs/PROTOCOL.md
  kHangUp = 129,       // stopped by SIGHUP (128 + 1), which stages treat like SIGTERM
  kInterrupted = 130,  // stopped by SIGINT (128 + 2)
  kTerminated = 143,   // stopped by SIGTERM (128 + 15)
};

inline constexpr const char* kExitCodeHelp =
    "Exit codes:\n"
    "  0    finished (per-URL failures are reported as records, not as an exit code)\n"
    "  1    an endpoint, file or system call failed (stderr names it)\n"
    "  2    bad command line\n"
    "  3    malformed record on the input (see docs/PROTOCOL.md)\n"
    "  129  stopped by SIGHUP; 130 stopped by SIGINT; 143 stopped by SIGTERM\n";

constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

}  // namespace dupipe
