// The common/os/sys wrappers report failures as Error values that name the object and keep the
// errno, so that callers decide by cause; none of them throws for a failed system call.
#include "common/os/sys.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <utility>

#include "tests/unit/test_support.hpp"

namespace dupipe::sys {
namespace {

using testing::TempDir;
using testing::write_file;

bool names(const Error& error, const std::string& object) {
  return error.message.find(object) != std::string::npos;
}

TEST(Sys, OpenFileOfAMissingPathIsAnErrorWithEnoentNamingThePath) {
  const TempDir dir;
  const std::string path = dir.file("missing");
  const auto fd = open_file(path, O_RDONLY);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().errnum, ENOENT);
  EXPECT_TRUE(names(fd.error(), path)) << fd.error().message;
  EXPECT_TRUE(names(fd.error(), "No such file or directory")) << fd.error().message;
}

TEST(Sys, ReadSomeOfADirectoryIsAnErrorWithEisdir) {
  const TempDir dir;
  auto fd = open_file(dir.path().string(), O_RDONLY);
  ASSERT_TRUE(fd) << fd.error().message;
  std::array<char, 16> buffer{};
  const auto n = read_some(fd->get(), buffer, "the directory");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().errnum, EISDIR);
  EXPECT_TRUE(names(n.error(), "read from the directory")) << n.error().message;
}

TEST(Sys, WriteAllToAReadOnlyDescriptorIsAnErrorWithEbadf) {
  const TempDir dir;
  write_file(dir.file("f"), "x");
  auto fd = open_file(dir.file("f"), O_RDONLY);
  ASSERT_TRUE(fd);
  const auto written = write_all(fd->get(), "y", "f");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().errnum, EBADF);
  EXPECT_TRUE(names(written.error(), "write to f")) << written.error().message;
}

TEST(Sys, DuplicateFdAndLockOfAClosedDescriptorAreErrorsWithEbadf) {
  int closed = -1;
  {
    const UniqueFd opened(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(opened.is_open());
    closed = opened.get();
  }  // the number is free now
  const auto copy = duplicate_fd(closed, "probe");
  ASSERT_FALSE(copy);
  EXPECT_EQ(copy.error().errnum, EBADF);
  EXPECT_TRUE(names(copy.error(), "probe"));
  const auto lock = ExclusiveLock::acquire(closed, "probe");
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().errnum, EBADF);
  EXPECT_TRUE(names(lock.error(), "lock probe"));
}

TEST(Sys, AnAcquiredLockIsHeldUntilItIsDestroyedEvenAfterAMove) {
  const TempDir dir;
  write_file(dir.file("lock"), "");
  auto a = open_file(dir.file("lock"), O_RDONLY);
  auto b = open_file(dir.file("lock"), O_RDONLY);
  ASSERT_TRUE(a && b);
  {
    auto lock = ExclusiveLock::acquire(a->get(), "lock");
    ASSERT_TRUE(lock);
    const ExclusiveLock moved = std::move(*lock);
    lock = fail("gone");  // destroys the moved-from lock: that must not unlock
    EXPECT_NE(::flock(b->get(), LOCK_EX | LOCK_NB), 0);
  }
  EXPECT_EQ(::flock(b->get(), LOCK_EX | LOCK_NB), 0);
}

TEST(Sys, MakeDirectoriesUnderAFileIsAnErrorWithTheCause) {
  const TempDir dir;
  write_file(dir.file("file"), "");
  const auto made = make_directories(dir.file("file") + "/sub");
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().errnum, ENOTDIR);
  EXPECT_TRUE(names(made.error(), dir.file("file"))) << made.error().message;
}

TEST(Sys, WriteFileAtomicallyIntoAMissingDirectoryIsAnErrorWithEnoent) {
  const TempDir dir;
  const auto written = write_file_atomically(dir.file("missing") + "/report.json", "{}");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().errnum, ENOENT);
  EXPECT_TRUE(names(written.error(), dir.file("missing"))) << written.error().message;
}

}  // namespace
}  // namespace dupipe::sys
