// The directory walk over a real temporary tree: regular files become W records with their
// identity, symlinks are skipped unless followed, FIFOs skipped, loops entered once, and the
// records come out in the same order whatever order the entries were created in.
#include "walker/tree_walker.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/memory_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::walker {
namespace {

using testing::TempDir;
using testing::write_file;

struct Walked {
  std::vector<DirectoryFileRecord> files;
  std::vector<FailureRecord> failures;
  WalkCounts counts;
};

Walked walk(const std::vector<std::string>& roots, WalkOptions options = {}) {
  MemoryWriter output;
  testing::CapturedLog log("producer");
  Walked result;
  result.counts = walk_trees(roots, options, output, log.logger());
  for (const auto& line : output.lines) {
    const Record r = testing::parsed(line);
    if (const auto* f = std::get_if<DirectoryFileRecord>(&r)) result.files.push_back(*f);
    if (const auto* f = std::get_if<FailureRecord>(&r)) result.failures.push_back(*f);
  }
  return result;
}

std::vector<std::string> paths(const Walked& w) {
  std::vector<std::string> result;
  for (const auto& f : w.files) result.push_back(f.path);
  std::sort(result.begin(), result.end());
  return result;
}

TEST(TreeWalker, WritesRegularFilesWithTheirIdentity) {
  const TempDir dir;
  const std::string root = std::filesystem::canonical(dir.path()).string();
  std::filesystem::create_directory(root + "/sub");
  write_file(root + "/sub/a", "abc");
  const Walked w = walk({root});
  ASSERT_EQ(w.files.size(), 1u);
  struct stat st {};
  ASSERT_EQ(::stat((root + "/sub/a").c_str(), &st), 0);
  EXPECT_EQ(w.files[0].path, root + "/sub/a");
  EXPECT_EQ(w.files[0].size, 3u);
  EXPECT_EQ(w.files[0].inode, st.st_ino);
  EXPECT_EQ(w.files[0].device, st.st_dev);
  EXPECT_EQ(w.files[0].mtime_ns, static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000u +
                                     static_cast<std::uint64_t>(st.st_mtim.tv_nsec));
}

TEST(TreeWalker, SkipsSymlinksAndSpecialFilesUnlessFollowing) {
  const TempDir dir;
  const std::string root = std::filesystem::canonical(dir.path()).string();
  write_file(root + "/a", "abc");
  ASSERT_EQ(::symlink("a", (root + "/link").c_str()), 0);
  ASSERT_EQ(::symlink(".", (root + "/self").c_str()), 0);
  ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0600), 0);
  const Walked plain = walk({root});
  EXPECT_EQ(paths(plain), (std::vector<std::string>{root + "/a"}));
  EXPECT_EQ(plain.counts.skipped, 3u);
  const Walked followed = walk({root}, WalkOptions{true});
  EXPECT_EQ(paths(followed), (std::vector<std::string>{root + "/a", root + "/link"}));
  EXPECT_TRUE(followed.failures.empty());
}

TEST(TreeWalker, WalksARootGivenTwiceOrNestedOnce) {
  const TempDir dir;
  const std::string root = std::filesystem::canonical(dir.path()).string();
  std::filesystem::create_directory(root + "/sub");
  write_file(root + "/sub/a", "abc");
  EXPECT_EQ(walk({root, root, root + "/sub", root + "/sub/../sub"}).files.size(), 1u);
}

TEST(TreeWalker, ReportsANameTooLongForARecordAsAFailure) {
  const TempDir dir;
  const std::string root = std::filesystem::canonical(dir.path()).string();
  std::string path = root;
  for (int i = 0; i < 20; ++i) {  // 20 x 201 bytes of directory names: over the 4096-byte record
    path.append("/").append(200, 'd');
    std::filesystem::create_directory(path);
  }
  write_file(path + "/f", "x");
  write_file(root + "/short", "x");
  const Walked w = walk({root});
  EXPECT_EQ(paths(w), (std::vector<std::string>{root + "/short"}));
  ASSERT_EQ(w.failures.size(), 1u);
  EXPECT_NE(w.failures[0].error.find("name too long"), std::string::npos);
}

TEST(TreeWalker, ReportsAMissingRootAsAFailure) {
  const TempDir dir;
  const Walked w = walk({dir.file("missing")});
  ASSERT_EQ(w.failures.size(), 1u);
  EXPECT_EQ(w.failures[0].stage, Stage::kProducer);
  EXPECT_NE(w.failures[0].error.find("cannot open"), std::string::npos);
}

// "f" + std::to_string(i) would be shorter, but GCC 12 warns falsely on it (-Wrestrict).
std::string numbered(int i) {
  std::string name("f");
  name.append(std::to_string(i));
  return name;
}

TEST(TreeWalker, WritesTheSameRecordsWhateverTheCreationOrder) {
  const TempDir one, two;
  for (int i = 0; i < 20; ++i) write_file(one.file(numbered(i)), "x");
  for (int i = 19; i >= 0; --i) write_file(two.file(numbered(i)), "x");
  const auto names = [](const Walked& w) {
    std::vector<std::string> result;
    for (const auto& f : w.files) result.push_back(std::filesystem::path(f.path).filename());
    return result;
  };
  EXPECT_EQ(names(walk({one.path()})), names(walk({two.path()})));
}

}  // namespace
}  // namespace dupipe::walker
