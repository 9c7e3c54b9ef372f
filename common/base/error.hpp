// The project's one error model. A per-record problem (bad URL, HTTP 404, unreadable file) is an
// Error value carried in tl::expected and turned into a failure record. What stops a stage
// (endpoint cannot be opened, corrupt frame) is thrown as FatalError and caught only in main.
// Both keep the errno of a failed system call, so callers decide by cause, not by parsing text;
// value_or_fatal() is the one place where an Error is escalated to a FatalError.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tl/expected.hpp>
#include <utility>

#include "common/base/exit_code.hpp"

namespace dupipe {

// A recoverable, per-record failure. The message names the object (URL, path) and the cause;
// `errnum` is the errno of the system call that failed, 0 when the cause is not one.
struct Error {
  std::string message;
  int errnum = 0;

  // std::error_code(errnum, generic_category()); a default (false) code when errnum is 0.
  [[nodiscard]] std::error_code code() const;
};

template <typename T>
using Expected = tl::expected<T, Error>;

[[nodiscard]] inline tl::unexpected<Error> fail(std::string message, int errnum = 0) {
  return tl::unexpected<Error>(Error{std::move(message), errnum});
}

// Error{"<context>: <strerror(errnum)>", errnum} — for failed system calls.
[[nodiscard]] tl::unexpected<Error> fail_errno(std::string_view context, int errnum);

// The category of FatalErrors that no system call caused: the value is the ExitCode.
[[nodiscard]] const std::error_category& dupipe_category();

// Stops the stage: a std::system_error whose code is the errno (generic_category) when a system
// call failed, otherwise {ExitCode, dupipe_category()}. `what()` reads "<context>: <cause>"
// (the message as given, unlike std::system_error's "<what_arg>: <code message>").
class FatalError : public std::system_error {
 public:
  explicit FatalError(const std::string& message, ExitCode code = ExitCode::kFailure);
  // `context` + ": " + strerror(errnum), with code {errnum, generic_category()}.
  FatalError(std::string_view context, int errnum, ExitCode code = ExitCode::kFailure);
  // The Error's message as is, and its errno as the code when it has one.
  explicit FatalError(const Error& error, ExitCode code = ExitCode::kFailure);

  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }
  // How the stage exits. (code(), from std::system_error, is the cause: errno or ExitCode.)
  [[nodiscard]] ExitCode exit_code() const { return exit_code_; }

 private:
  std::string message_;
  ExitCode exit_code_;
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

// Throws FatalError("<context>: <strerror(errnum)>") with the errno as its code.
[[noreturn]] void throw_errno(std::string_view context, int errnum);

// Escalation, for endpoints and mains: the value, or the Error thrown as a FatalError.
template <typename T>
[[nodiscard]] T value_or_fatal(Expected<T>&& expected, ExitCode code = ExitCode::kFailure) {
  if (!expected) throw FatalError(expected.error(), code);
  return std::move(*expected);
}

inline void value_or_fatal(Expected<void>&& expected, ExitCode code = ExitCode::kFailure) {
  if (!expected) throw FatalError(expected.error(), code);
}

}  // namespace dupipe
