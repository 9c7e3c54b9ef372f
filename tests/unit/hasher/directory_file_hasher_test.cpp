// Directory-mode hashing of one W record from its first byte, files that changed since the walk
// (size, mtime, inode) as failures; and the stage loop over size groups.
#include "hasher/directory_file_hasher.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "tests/unit/test_support.hpp"

namespace dupipe::hasher {
namespace {

using testing::TempDir;
using testing::walked;
using testing::write_file;

TEST(DirectoryFileHasher, DigestsAWalkedFileInFull) {
  const TempDir dir;
  write_file(dir.file("a"), "abc");
  FileDigester digester("sha256");
  const Record r = hash_directory_file(walked(dir.file("a")), digester, "sha256");
  const auto* h = std::get_if<DigestRecord>(&r);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(h->url, "");
  EXPECT_EQ(h->path, dir.file("a"));
}

TEST(DirectoryFileHasher, ReportsAFileChangedSinceTheWalk) {
  const TempDir dir;
  write_file(dir.file("a"), "abc");
  FileDigester digester("sha256");
  DirectoryFileRecord record = walked(dir.file("a"));
  record.mtime_ns += 1;
  Record r = hash_directory_file(record, digester, "sha256");
  ASSERT_TRUE(std::holds_alternative<FailureRecord>(r));
  EXPECT_EQ(std::get<FailureRecord>(r).error,
            dir.file("a") + ": changed since the walk: modification time differs");
  EXPECT_EQ(std::get<FailureRecord>(r).url, dir.file("a"));

  record = walked(dir.file("a"));
  write_file(dir.file("a"), "abcd");
  r = hash_directory_file(record, digester, "sha256");
  ASSERT_TRUE(std::holds_alternative<FailureRecord>(r));
  EXPECT_NE(std::get<FailureRecord>(r).error.find("size 3 -> 4"), std::string::npos);

  record = walked(dir.file("a"));
  write_file(dir.file("b"), "abcd");
  ASSERT_EQ(::rename(dir.file("b").c_str(), dir.file("a").c_str()), 0);
  r = hash_directory_file(record, digester, "sha256");
  ASSERT_TRUE(std::holds_alternative<FailureRecord>(r));
  EXPECT_NE(std::get<FailureRecord>(r).error.find("replaced since the walk"), std::string::npos);
}

TEST(DirectoryFileHasher, ReportsAMissingFileNamingItsPath) {
  const TempDir dir;
  FileDigester digester("sha256");
  DirectoryFileRecord record{"id", dir.file("gone"), 1, 1, 1, 1};
  const Record r = hash_directory_file(record, digester, "sha256");
  EXPECT_EQ(std::get<FailureRecord>(r).error,
            dir.file("gone") + ": cannot open: No such file or directory");
}

}  // namespace
}  // namespace dupipe::hasher

// The stage loop in directory mode: G and W records in, H records out (small files at once, large
// ones only when their edges collide), H, L and S pass through, byte counts as S records at the
// end.
#include "hasher/hasher.hpp"
#include "tests/support/memory_endpoint.hpp"

namespace dupipe::hasher {
namespace {

TEST(DirectoryHasherStage, HashesSizeGroupsAndCountsBytes) {
  const TempDir dir;
  write_file(dir.file("s1"), "abc");
  write_file(dir.file("s2"), "abd");
  const std::string large(kWholeFileBytes + 1, 'z');
  write_file(dir.file("l1"), large);
  write_file(dir.file("l2"), large);
  write_file(dir.file("l3"), std::string(kWholeFileBytes, 'z') + "y");  // other last byte
  MemoryReader input(
      {"G\t" + std::to_string(large.size()) + "\t3", testing::formatted(walked(dir.file("l1"))),
       testing::formatted(walked(dir.file("l2"))), testing::formatted(walked(dir.file("l3"))),
       "G\t3\t2", testing::formatted(walked(dir.file("s1"))),
       testing::formatted(walked(dir.file("s2"))), "L\tid\t/b\t/a\t5", "S\tgrouper\tfiles\t2"});
  MemoryWriter output;
  testing::CapturedLog log("hasher");
  GroupHasher hasher("sha256", kDefaultMaxOpenFiles);
  const Counts counts = run_groups(input, output, hasher, log.logger());
  EXPECT_EQ(counts.hashed, 4u);
  ASSERT_EQ(output.lines.size(), 9u);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_TRUE(std::holds_alternative<DigestRecord>(testing::parsed(output.lines[i])));
  EXPECT_EQ(std::get<DigestRecord>(testing::parsed(output.lines[0])).path, dir.file("l1"));
  EXPECT_EQ(std::get<DigestRecord>(testing::parsed(output.lines[1])).digest,
            digest_bytes("sha256", large).value());
  EXPECT_EQ(output.lines[4], "L\tid\t/b\t/a\t5");
  EXPECT_EQ(output.lines[5], "S\tgrouper\tfiles\t2");
  EXPECT_EQ(output.lines[6], "S\thasher\tfull_bytes\t" + std::to_string(2 * large.size() + 6));
  EXPECT_EQ(output.lines[7], "S\thasher\tpartial_bytes\t" + std::to_string(2 * kEdgeBytes));
  EXPECT_EQ(output.lines[8], "S\thasher\tunique_partial\t1");
}

TEST(DirectoryHasherStage, RefusesWRecordsOutsideAGroupAndAnInputEndingInsideOne) {
  testing::CapturedLog log("hasher");
  for (const auto& lines : {std::vector<std::string>{"W\tid\t/a\t1\t1\t1\t1"},
                            std::vector<std::string>{"G\t1\t2", "W\tid\t/a\t1\t1\t1\t1"},
                            std::vector<std::string>{"G\t1\t2", "W\tid\t/a\t2\t1\t1\t1"},
                            std::vector<std::string>{"P\tid\turl\t/a\t1"}}) {
    MemoryReader input(lines);
    MemoryWriter output;
    GroupHasher hasher("sha256", kDefaultMaxOpenFiles);
    try {
      (void)run_groups(input, output, hasher, log.logger());
      ADD_FAILURE() << "accepted " << lines.back();
    } catch (const FatalError& e) {
      EXPECT_EQ(e.exit_code(), ExitCode::kProtocol) << e.what();
    }
  }
}

TEST(DirectoryHasherStage, RefusesWRecordsInUrlMode) {
  MemoryReader input({"W\tid\t/a\t1\t1\t1\t1"});
  MemoryWriter output;
  testing::CapturedLog log("hasher");
  FileDigester digester("sha256");
  EXPECT_THROW((void)run(input, output, digester, "sha256", log.logger()), FatalError);
}

}  // namespace
}  // namespace dupipe::hasher
