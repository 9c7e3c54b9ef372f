// The hasher stage loop over in-memory endpoints and real temporary files: P becomes H, files
// that cannot be hashed or changed size become F, F passes through, other records stop the stage.
#include "hasher/hasher.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "tests/support/memory_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::hasher {
namespace {

using testing::CapturedLog;
using testing::formatted;
using testing::parsed;
using testing::TempDir;
using testing::write_file;

constexpr char kSha256Abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

struct StageOutput {
  Counts counts;
  std::vector<Record> records;
  std::string log;
};

StageOutput run_hasher(std::vector<std::string> lines, const std::string& algorithm = "sha256") {
  MemoryReader input(std::move(lines));
  MemoryWriter output;
  CapturedLog log("hasher");
  FileDigester digester(algorithm);
  StageOutput result;
  result.counts = run(input, output, digester, algorithm, log.logger());
  for (const std::string& line : output.lines) result.records.push_back(parsed(line));
  result.log = log.text();
  return result;
}

TEST(Hasher, TurnsAFileRecordIntoADigestRecord) {
  const TempDir dir;
  write_file(dir.file("a"), "abc");
  const StageOutput result =
      run_hasher({formatted(FileRecord{"id1", "http://h/a", dir.file("a"), 3})});
  EXPECT_EQ(result.counts.hashed, 1U);
  EXPECT_EQ(result.counts.failed, 0U);
  ASSERT_EQ(result.records.size(), 1U);
  const auto& digest = std::get<DigestRecord>(result.records[0]);
  EXPECT_EQ(digest.id, "id1");
  EXPECT_EQ(digest.url, "http://h/a");
  EXPECT_EQ(digest.path, dir.file("a"));
  EXPECT_EQ(digest.size, 3U);
  EXPECT_EQ(digest.algorithm, "sha256");
  EXPECT_EQ(digest.digest, kSha256Abc);
}

TEST(Hasher, NamesTheConfiguredAlgorithm) {
  const TempDir dir;
  write_file(dir.file("a"), "abc");
  const StageOutput result = run_hasher({formatted(FileRecord{"i", "u", dir.file("a"), 3})}, "md5");
  ASSERT_EQ(result.records.size(), 1U);
  EXPECT_EQ(std::get<DigestRecord>(result.records[0]).algorithm, "md5");
  EXPECT_EQ(std::get<DigestRecord>(result.records[0]).digest, "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Hasher, ReportsAMissingFileAsAFailure) {
  const TempDir dir;
  const StageOutput result =
      run_hasher({formatted(FileRecord{"id1", "http://h/a", dir.file("gone"), 3})});
  EXPECT_EQ(result.counts.failed, 1U);
  EXPECT_EQ(result.counts.hashed, 0U);
  ASSERT_EQ(result.records.size(), 1U);
  const auto& failure = std::get<FailureRecord>(result.records[0]);
  EXPECT_EQ(failure.id, "id1");
  EXPECT_EQ(failure.url, "http://h/a");
  EXPECT_EQ(failure.stage, Stage::kHasher);
  EXPECT_TRUE(failure.error.starts_with(dir.file("gone") + ": ")) << failure.error;
  EXPECT_NE(failure.error.find("No such file"), std::string::npos) << failure.error;
  EXPECT_NE(result.log.find("warning: "), std::string::npos) << result.log;
}

TEST(Hasher, ReportsASizeMismatchAsAFailure) {
  const TempDir dir;
  write_file(dir.file("a"), "abcd");
  const StageOutput result =
      run_hasher({formatted(FileRecord{"id1", "http://h/a", dir.file("a"), 3})});
  EXPECT_EQ(result.counts.failed, 1U);
  ASSERT_EQ(result.records.size(), 1U);
  const auto& failure = std::get<FailureRecord>(result.records[0]);
  EXPECT_EQ(failure.stage, Stage::kHasher);
  EXPECT_NE(failure.error.find("size changed: expected 3 bytes, read 4"), std::string::npos)
      << failure.error;
}

TEST(Hasher, PassesFailuresThroughUnchanged) {
  const std::string line =
      formatted(FailureRecord{"id9", "ftp://x", Stage::kProducer, "line 2: no"});
  MemoryReader input({line});
  MemoryWriter output;
  const CapturedLog log;
  FileDigester digester("sha256");
  const Counts counts = run(input, output, digester, "sha256", log.logger());
  EXPECT_EQ(counts.passed_through, 1U);
  EXPECT_EQ(output.lines, std::vector<std::string>{line});
}

TEST(Hasher, KeepsTheOrderOfAMixedStream) {
  const TempDir dir;
  write_file(dir.file("a"), "abc");
  const StageOutput result = run_hasher({
      formatted(FileRecord{"1", "u1", dir.file("a"), 3}),
      formatted(FailureRecord{"2", "u2", Stage::kFetcher, "HTTP 404"}),
      formatted(FileRecord{"3", "u3", dir.file("missing"), 1}),
  });
  EXPECT_EQ(result.counts.hashed, 1U);
  EXPECT_EQ(result.counts.failed, 1U);
  EXPECT_EQ(result.counts.passed_through, 1U);
  ASSERT_EQ(result.records.size(), 3U);
  EXPECT_TRUE(std::holds_alternative<DigestRecord>(result.records[0]));
  EXPECT_EQ(std::get<FailureRecord>(result.records[1]).stage, Stage::kFetcher);
  EXPECT_EQ(std::get<FailureRecord>(result.records[2]).stage, Stage::kHasher);
}

class HasherRefuses : public ::testing::TestWithParam<std::string> {};

TEST_P(HasherRefuses, ARecordItCannotTake) {
  MemoryReader input({GetParam()});
  MemoryWriter output;
  const CapturedLog log;
  FileDigester digester("sha256");
  try {
    (void)run(input, output, digester, "sha256", log.logger());
    FAIL() << "accepted " << GetParam();
  } catch (const FatalError& e) {
    EXPECT_EQ(e.exit_code(), ExitCode::kProtocol) << e.what();
    EXPECT_TRUE(std::string(e.what()).starts_with("memory: ")) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Hasher, HasherRefuses,
                         ::testing::Values("U\tid\thttp://h/", "H\ti\tu\tp\t1\tsha256\tab",
                                           "http://bare.example/", "P\ti\tu\tp\tsize",
                                           "Z\tunknown"));

// An acknowledging transport (shm, a broker) may forget a record only once its result is out.
TEST(Hasher, AcknowledgesEachRecordAfterWritingWhatItBecame) {
  const TempDir dir;
  write_file(dir.file("a"), "abc");
  const std::string file = formatted(FileRecord{"id1", "http://h/a", dir.file("a"), 3});
  const std::string failure = "F\tid2\thttp://h/b\tfetcher\tHTTP 404";
  MemoryReader input({file, failure});
  MemoryWriter output;
  std::vector<std::string> events;
  input.on_event = [&](const std::string& event) { events.push_back(event); };
  output.on_event = [&](const std::string& event) { events.push_back(event.substr(0, 7)); };
  const CapturedLog log("hasher");
  FileDigester digester("sha256");
  (void)run(input, output, digester, "sha256", log.logger());
  EXPECT_EQ(events,
            (std::vector<std::string>{"write H", "ack " + file, "write F", "ack " + failure}));
}

}  // namespace
}  // namespace dupipe::hasher
