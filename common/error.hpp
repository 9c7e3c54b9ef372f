// The project's one error model. A per-record problem (bad URL, HTTP 404, unreadable file) is an
// Error value carried in tl::expected and turned into a failure record. What stops a stage
// (endpoint cannot be opened, corrupt frame) is thrown as FatalError and caught only in main.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <tl/expected.hpp>

#include "common/exit_code.hpp"

namespace dupipe {

// A recoverable, per-record failure. The message names the object (URL, path) and the cause.
struct Error {
  std::string message;
};

template <typename T>
using Expected = tl::expected<T, Error>;

[[nodiscard]] inline tl::unexpected<Error> fail(std::string message) {
  return tl::unexpected<Error>(Error{std::move(message)});
}

// Stops the stage. `what()` reads "<context>: <cause>".
class FatalError : public std::runtime_error {
 public:
  explicit FatalError(const std::string& message, ExitCode code = ExitCode::kFailure)
      : std::runtime_error(message), code_(code) {}
  [[nodiscard]] ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Thrown when a blocking call was interrupted by SIGINT/SIGTERM: the stage unwinds and exits 128+N.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int signal_number)
      : std::runtime_error("interrupted by signal " + std::to_string(signal_number)),
        signal_number_(signal_number) {}
  [[nodiscard]] int signal_number() const { return signal_number_; }

 private:
  int signal_number_;
};

// "<context>: <strerror(errnum)>" — for messages of system-call failures.
[[nodiscard]] std::string errno_message(std::string_view context, int errnum);

// Throws FatalError("<context>: <strerror(errnum)>").
[[noreturn]] void throw_errno(std::string_view context, int errnum);

}  // namespace dupipe
