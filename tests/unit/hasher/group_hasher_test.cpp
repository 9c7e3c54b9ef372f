// The group hasher's core: which edge keys collide; a digest continued after the edge reads
// equals the plain digest of the whole file for every algorithm and buffer size; files whose
// edges nobody shares are closed unread, the others read on through the same descriptor; a group
// above the open-file limit holds nothing open and reopens only the colliding files.
#include "hasher/group_hasher.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <filesystem>
#include <string>
#include <vector>

#include "hasher/directory_file_hasher.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::hasher {
namespace {

using testing::TempDir;
using testing::walked;
using testing::write_file;

// Deterministic bytes that differ from offset to offset (so a misplaced piece changes the digest).
std::string pattern(std::size_t size, unsigned seed = 1) {
  std::string bytes(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (char& c : bytes) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return bytes;
}

std::size_t open_descriptors() {
  std::error_code error;
  std::size_t count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++count;
  }
  return count;
}

TEST(EdgeCollisions, MarksEveryKeyThatAnotherEntryShares) {
  EXPECT_EQ(edge_collisions({"a", "b", "a", "c", "c", "d"}),
            (std::vector<bool>{true, false, true, true, true, false}));
  EXPECT_EQ(edge_collisions({"x"}), std::vector<bool>{false});
  EXPECT_TRUE(edge_collisions({}).empty());
}

TEST(GroupMember, ContinuedDigestEqualsThePlainDigestForEveryAlgorithm) {
  const TempDir dir;
  for (const std::size_t buffer_bytes :
       {std::size_t{2 * kEdgeBytes}, std::size_t{10007}, std::size_t{1} << 20}) {
    std::vector<char> buffer(buffer_bytes);
    for (const std::size_t size : {kWholeFileBytes + 1, 2 * kEdgeBytes + buffer_bytes,
                                   3 * buffer_bytes + 5, std::size_t{3} << 20}) {
      const std::string content = pattern(size, static_cast<unsigned>(size));
      write_file(dir.file("f"), content);
      for (const char* algorithm : {"sha256", "sha1", "md5", "blake2b", "xxh128"}) {
        HashFunction edge_hash("xxh128");
        auto member = GroupMember::open(walked(dir.file("f")), algorithm, edge_hash, buffer, true);
        ASSERT_TRUE(member.has_value()) << member.error().message;
        auto hex = member->finish(buffer);
        ASSERT_TRUE(hex.has_value()) << hex.error().message;
        EXPECT_EQ(*hex, digest_bytes(algorithm, content).value())
            << algorithm << ", " << size << " bytes, buffer " << buffer_bytes;
        EXPECT_FALSE(member->is_open());
      }
    }
  }
}

// a and b equal; c differs only in the middle (same edges: read on, other digest); d in its
// first byte and e in its last (closed after the edges).
struct Corpus {
  TempDir dir;
  std::string base = pattern(kWholeFileBytes + 3 * kEdgeBytes, 7);
  std::vector<DirectoryFileRecord> files;
  Corpus() {
    std::string middle = base, first = base, last = base;
    middle[base.size() / 2] ^= 1;
    first.front() ^= 1;
    last.back() ^= 1;
    for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
             {"a", base}, {"b", base}, {"c", middle}, {"d", first}, {"e", last}}) {
      write_file(dir.file(name), content);
      files.push_back(walked(dir.file(name)));
    }
  }
};

std::vector<Record> hash_group(GroupHasher& hasher, const Corpus& corpus,
                               std::vector<std::size_t>* held = nullptr) {
  std::vector<Record> out;
  hasher.begin(GroupRecord{corpus.base.size(), corpus.files.size()});
  for (const DirectoryFileRecord& file : corpus.files) {
    hasher.add(file, out);
    if (held != nullptr) held->push_back(hasher.open_files());
  }
  return out;
}

void expect_digests_of_a_b_c(const std::vector<Record>& out, const Corpus& corpus) {
  ASSERT_EQ(out.size(), 3u);
  const std::string base_digest = digest_bytes("sha256", corpus.base).value();
  EXPECT_EQ(std::get<DigestRecord>(out[0]).path, corpus.files[0].path);
  EXPECT_EQ(std::get<DigestRecord>(out[0]).digest, base_digest);
  EXPECT_EQ(std::get<DigestRecord>(out[1]).digest, base_digest);
  EXPECT_EQ(std::get<DigestRecord>(out[2]).path, corpus.files[2].path);
  EXPECT_NE(std::get<DigestRecord>(out[2]).digest, base_digest);
  EXPECT_EQ(std::get<DigestRecord>(out[2]).digest,
            digest_bytes("sha256", testing::read_file(corpus.files[2].path)).value());
}

TEST(GroupHasher, ReadsOnOnlyTheFilesWhoseEdgesCollideKeepingThemOpenUntilThen) {
  const Corpus corpus;
  GroupHasher hasher("sha256", kDefaultMaxOpenFiles);
  const std::size_t before = open_descriptors();
  std::vector<std::size_t> held;
  const auto out = hash_group(hasher, corpus, &held);
  expect_digests_of_a_b_c(out, corpus);
  EXPECT_EQ(held, (std::vector<std::size_t>{1, 2, 3, 4, 0}));
  EXPECT_EQ(open_descriptors(), before);
  const GroupCounts& c = hasher.counts();
  EXPECT_EQ(c.unique_partial, 2u);
  EXPECT_EQ(c.full_bytes, 3 * corpus.base.size());
  EXPECT_EQ(c.partial_bytes, 2 * 2 * kEdgeBytes);  // d and e: their edges only
  EXPECT_EQ(c.reopened, 0u);
  EXPECT_FALSE(hasher.is_inside_group());
}

TEST(GroupHasher, AGroupAboveTheOpenFileLimitHoldsNothingOpenAndReopensTheCollidingFiles) {
  const Corpus corpus;
  GroupHasher hasher("sha256", 4);  // the group has 5 files
  std::vector<std::size_t> held;
  const auto out = hash_group(hasher, corpus, &held);
  expect_digests_of_a_b_c(out, corpus);
  EXPECT_EQ(held, (std::vector<std::size_t>{0, 0, 0, 0, 0}));
  const GroupCounts& c = hasher.counts();
  EXPECT_EQ(c.reopened, 3u);
  EXPECT_EQ(c.unique_partial, 2u);
  EXPECT_EQ(c.full_bytes, 3 * corpus.base.size());
  EXPECT_EQ(c.partial_bytes, 5 * 2 * kEdgeBytes);  // every file's edges, read before its full pass
}

TEST(GroupHasher, CapsTheLimitBelowTheDescriptorLimit) {
  EXPECT_EQ(open_file_budget(kDefaultMaxOpenFiles), kDefaultMaxOpenFiles);  // under the usual 1024
  EXPECT_LT(open_file_budget(std::size_t{1} << 40), std::size_t{1} << 40);
}

TEST(GroupHasher, ReportsAFileWrittenBetweenItsEdgesAndItsFullPass) {
  Corpus corpus;
  GroupHasher hasher("sha256", kDefaultMaxOpenFiles);
  std::vector<Record> out;
  hasher.begin(GroupRecord{corpus.base.size(), 2});
  hasher.add(corpus.files[0], out);
  std::string changed = corpus.base;
  changed[changed.size() / 2] ^= 1;  // same size, same edges
  write_file(corpus.files[0].path, changed);
  const struct timeval later[2] = {{1, 0}, {2, 0}};
  ASSERT_EQ(::utimes(corpus.files[0].path.c_str(), later), 0);
  hasher.add(corpus.files[1], out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<FailureRecord>(out[0]).error,
            corpus.files[0].path + ": changed since the walk: modification time differs");
  EXPECT_TRUE(std::holds_alternative<DigestRecord>(out[1]));
}

TEST(GroupHasher, DigestsSmallFilesOnArrivalAndFailuresAtOnce) {
  const TempDir dir;
  write_file(dir.file("s"), "abc");
  GroupHasher hasher("xxh128", kDefaultMaxOpenFiles);
  std::vector<Record> out;
  hasher.begin(GroupRecord{3, 2});
  hasher.add(walked(dir.file("s")), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<DigestRecord>(out[0]).digest, digest_bytes("xxh128", "abc").value());
  hasher.add(DirectoryFileRecord{"id", dir.file("gone"), 3, 1, 1, 1}, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<FailureRecord>(out[1]).error,
            dir.file("gone") + ": cannot open: No such file or directory");
  EXPECT_FALSE(hasher.is_inside_group());
}

}  // namespace
}  // namespace dupipe::hasher
