// The error model: Error keeps the errno of a failed system call, FatalError is a
// std::system_error whose what() reads "<context>: <cause>", and value_or_fatal escalates.
#include "common/base/error.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace dupipe {
namespace {

TEST(Error, FailErrnoKeepsTheErrnoAndNamesTheContextAndTheCause) {
  const Error error = fail_errno("/no/such/file", ENOENT).value();
  EXPECT_EQ(error.errnum, ENOENT);
  EXPECT_EQ(error.code(), std::errc::no_such_file_or_directory);
  EXPECT_EQ(error.message, std::string("/no/such/file: ") + std::strerror(ENOENT));
}

TEST(Error, AFailureThatIsNoSystemCallHasNoErrno) {
  const Error error = fail("http://x/: HTTP 404").value();
  EXPECT_EQ(error.errnum, 0);
  EXPECT_FALSE(error.code());
}

TEST(FatalError, IsASystemErrorWithTheErrnoAsItsCode) {
  try {
    throw_errno("open input /x", EACCES);
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::error_code(EACCES, std::generic_category()));
    EXPECT_EQ(std::string(e.what()), std::string("open input /x: ") + std::strerror(EACCES));
    return;
  }
  FAIL() << "throw_errno did not throw a std::system_error";
}

TEST(FatalError, WithoutAnErrnoKeepsItsMessageAndExitCodeExactly) {
  const FatalError e("stdin: line longer than 8 bytes", ExitCode::kProtocol);
  EXPECT_EQ(std::string(e.what()), "stdin: line longer than 8 bytes");
  EXPECT_EQ(e.exit_code(), ExitCode::kProtocol);
  EXPECT_EQ(&e.code().category(), &dupipe_category());
  EXPECT_EQ(e.code().value(), to_int(ExitCode::kProtocol));
}

TEST(FatalError, FromAnErrorKeepsItsMessageAndErrno) {
  const FatalError e(Error{"write to out: Broken pipe", EPIPE});
  EXPECT_EQ(std::string(e.what()), "write to out: Broken pipe");
  EXPECT_EQ(e.code(), std::errc::broken_pipe);
  EXPECT_EQ(e.exit_code(), ExitCode::kFailure);
}

TEST(ValueOrFatal, ReturnsTheValueOrThrowsTheErrorWithTheGivenExitCode) {
  EXPECT_EQ(value_or_fatal(Expected<int>(7)), 7);
  EXPECT_NO_THROW(value_or_fatal(Expected<void>()));
  try {
    value_or_fatal(Expected<void>(fail_errno("journal j", ENOSPC)), ExitCode::kProtocol);
    FAIL() << "no throw";
  } catch (const FatalError& e) {
    EXPECT_EQ(e.code(), std::errc::no_space_on_device);
    EXPECT_EQ(e.exit_code(), ExitCode::kProtocol);
    EXPECT_EQ(std::string(e.what()), std::string("journal j: ") + std::strerror(ENOSPC));
  }
}

}  // namespace
}  // namespace dupipe
