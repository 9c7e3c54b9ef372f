// Directory-mode hashing of W records: the partial digest of large files, the full digest of
// small ones at once, and files that changed since the walk (size, mtime, inode) as failures.
#include "hasher/local_file_hasher.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "tests/unit/test_support.hpp"

namespace dupipe::hasher {
namespace {

using testing::TempDir;
using testing::write_file;

LocalFileRecord walked(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return LocalFileRecord{"id", path, static_cast<std::uint64_t>(st.st_size), st.st_dev, st.st_ino,
                         static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000u +
                             static_cast<std::uint64_t>(st.st_mtim.tv_nsec),
                         ""};
}

TEST(LocalFileHasher, DigestsASmallFileInFullAlreadyInPartialMode) {
  const TempDir dir;
  write_file(dir.file("a"), "abc");
  FileDigester digester("sha256");
  const Record r = hash_local_file(walked(dir.file("a")), HashMode::kPartial, digester, "sha256");
  const auto* h = std::get_if<DigestRecord>(&r);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(h->url, "");
  EXPECT_EQ(h->path, dir.file("a"));
}

// Up to kWholeFileBytes a file is read whole in the partial pass (and never opened again);
// one byte more and only its edges are read.
TEST(LocalFileHasher, ReadsFilesUpToTheWholeFileLimitInFullInPartialMode) {
  const TempDir dir;
  const std::string whole(kWholeFileBytes, 'w');
  write_file(dir.file("whole"), whole);
  write_file(dir.file("more"), whole + "w");
  FileDigester digester("sha256");
  const Record at_limit = hash_local_file(walked(dir.file("whole")), HashMode::kPartial, digester, "sha256");
  ASSERT_TRUE(std::holds_alternative<DigestRecord>(at_limit));
  EXPECT_EQ(std::get<DigestRecord>(at_limit).digest, digest_bytes("sha256", whole).value());
  const Record above = hash_local_file(walked(dir.file("more")), HashMode::kPartial, digester, "sha256");
  ASSERT_TRUE(std::holds_alternative<LocalFileRecord>(above));
  EXPECT_FALSE(std::get<LocalFileRecord>(above).partial.empty());
}

TEST(LocalFileHasher, PartialDigestSeesBothEndsButNotTheMiddle) {
  const TempDir dir;
  const std::string base(kWholeFileBytes + 1, 'x');
  std::string middle = base, last = base;
  middle[kEdgeBytes + 10] = 'y';
  last.back() = 'y';
  write_file(dir.file("base"), base);
  write_file(dir.file("middle"), middle);
  write_file(dir.file("last"), last);
  FileDigester digester("xxh128");
  const auto partial = [&](const char* name) {
    const Record r = hash_local_file(walked(dir.file(name)), HashMode::kPartial, digester, "xxh128");
    return std::get<LocalFileRecord>(r).partial;
  };
  EXPECT_EQ(partial("base"), partial("middle"));
  EXPECT_NE(partial("base"), partial("last"));
  const Record full = hash_local_file(walked(dir.file("middle")), HashMode::kFull, digester, "xxh128");
  EXPECT_EQ(std::get<DigestRecord>(full).digest, digest_bytes("xxh128", middle).value());
}

TEST(LocalFileHasher, ReportsAFileChangedSinceTheWalk) {
  const TempDir dir;
  write_file(dir.file("a"), "abc");
  FileDigester digester("sha256");
  LocalFileRecord record = walked(dir.file("a"));
  record.mtime_ns += 1;
  Record r = hash_local_file(record, HashMode::kFull, digester, "sha256");
  ASSERT_TRUE(std::holds_alternative<FailureRecord>(r));
  EXPECT_EQ(std::get<FailureRecord>(r).error, dir.file("a") + ": changed since the walk: modification time differs");
  EXPECT_EQ(std::get<FailureRecord>(r).url, dir.file("a"));

  record = walked(dir.file("a"));
  write_file(dir.file("a"), "abcd");
  r = hash_local_file(record, HashMode::kFull, digester, "sha256");
  ASSERT_TRUE(std::holds_alternative<FailureRecord>(r));
  EXPECT_NE(std::get<FailureRecord>(r).error.find("size 3 -> 4"), std::string::npos);

  record = walked(dir.file("a"));
  write_file(dir.file("b"), "abcd");
  ASSERT_EQ(::rename(dir.file("b").c_str(), dir.file("a").c_str()), 0);
  r = hash_local_file(record, HashMode::kFull, digester, "sha256");
  ASSERT_TRUE(std::holds_alternative<FailureRecord>(r));
  EXPECT_NE(std::get<FailureRecord>(r).error.find("replaced since the walk"), std::string::npos);
}

TEST(LocalFileHasher, ReportsAMissingFileNamingItsPath) {
  const TempDir dir;
  FileDigester digester("sha256");
  LocalFileRecord record{"id", dir.file("gone"), 1, 1, 1, 1, ""};
  const Record r = hash_local_file(record, HashMode::kFull, digester, "sha256");
  EXPECT_EQ(std::get<FailureRecord>(r).error, dir.file("gone") + ": cannot open: No such file or directory");
}

}  // namespace
}  // namespace dupipe::hasher

// The stage loop in directory mode: W records in; partial results on --out, final digests of
// small files on the digests writer; H, L and S pass through; byte counts as S records at the end.
#include "common/memory_endpoint.hpp"
#include "hasher/hasher.hpp"

namespace dupipe::hasher {
namespace {

TEST(LocalHasherStage, SendsSmallFileDigestsToTheDigestsLinkAndCountsBytes) {
  const TempDir dir;
  write_file(dir.file("small"), "abc");
  write_file(dir.file("large"), std::string(kWholeFileBytes + 1, 'z'));
  MemoryReader input({testing::formatted(walked(dir.file("small"))), testing::formatted(walked(dir.file("large"))),
                      "L\tid\t/b\t/a\t5", "S\tgrouper\tfiles\t2"});
  MemoryWriter output, digests;
  testing::CapturedLog log("hasher");
  FileDigester digester("sha256");
  const Counts counts = run(input, output, digester, "sha256", log.logger(), HashMode::kPartial, &digests);
  EXPECT_EQ(counts.hashed, 2u);
  ASSERT_EQ(digests.lines.size(), 1u);
  EXPECT_EQ(std::get<DigestRecord>(testing::parsed(digests.lines[0])).path, dir.file("small"));
  ASSERT_EQ(output.lines.size(), 5u);
  EXPECT_FALSE(std::get<LocalFileRecord>(testing::parsed(output.lines[0])).partial.empty());
  EXPECT_EQ(output.lines[1], "L\tid\t/b\t/a\t5");
  EXPECT_EQ(output.lines[2], "S\tgrouper\tfiles\t2");
  EXPECT_EQ(output.lines[3], "S\thasher\tfull_bytes\t3");
  EXPECT_EQ(output.lines[4], "S\thasher\tpartial_bytes\t" + std::to_string(2 * kEdgeBytes));
}

TEST(LocalHasherStage, RefusesWRecordsInUrlMode) {
  MemoryReader input({"W\tid\t/a\t1\t1\t1\t1\t"});
  MemoryWriter output;
  testing::CapturedLog log("hasher");
  FileDigester digester("sha256");
  EXPECT_THROW((void)run(input, output, digester, "sha256", log.logger()), FatalError);
}

}  // namespace
}  // namespace dupipe::hasher
