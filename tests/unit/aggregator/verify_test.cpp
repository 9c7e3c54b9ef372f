// --verify's byte comparison: a file that cannot be opened or read is an Error naming it and
// keeping the errno (the group then reports it as a failure), never an exception.
#include "aggregator/verify.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "tests/unit/test_support.hpp"

namespace dupipe::aggregator {
namespace {

using testing::TempDir;
using testing::write_file;

TEST(SameContents, ComparesBytes) {
  const TempDir dir;
  write_file(dir.file("a"), "abc");
  write_file(dir.file("b"), "abc");
  write_file(dir.file("c"), "abd");
  EXPECT_EQ(same_contents(dir.file("a"), dir.file("b")), true);
  EXPECT_EQ(same_contents(dir.file("a"), dir.file("c")), false);
}

TEST(SameContents, AnUnreadableFileIsAnErrorNamingItWithItsErrno) {
  const TempDir dir;
  write_file(dir.file("a"), "abc");
  const auto missing = same_contents(dir.file("a"), dir.file("gone"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errnum, ENOENT);
  EXPECT_NE(missing.error().message.find(dir.file("gone")), std::string::npos);

  const auto directory = same_contents(dir.file("a"), dir.path().string());  // opens; read fails
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().errnum, EISDIR);
  EXPECT_NE(directory.error().message.find(dir.path().string()), std::string::npos);
}

}  // namespace
}  // namespace dupipe::aggregator
