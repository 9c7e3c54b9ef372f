// The aggregator stage: collect() over in-memory records and write_report() into a temporary
// directory (both files present, parseable, and no temporary file left behind).
#include "aggregator/aggregator.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/memory_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::aggregator {
namespace {

using testing::CapturedLog;
using testing::formatted;
using testing::read_file;
using testing::TempDir;

Report collect_lines(std::vector<std::string> lines, const std::string& algorithm = "sha256") {
  MemoryReader input(std::move(lines));
  const CapturedLog log("aggregator");
  return collect(input, algorithm, log.logger());
}

std::string digest_line(const std::string& id, std::uint64_t size, const std::string& digest) {
  return formatted(DigestRecord{id, "http://h/" + id, "/files/" + id, size, "sha256", digest});
}

TEST(Aggregator, CollectsDigestsAndFailuresIntoAReport) {
  const Report report = collect_lines({
      digest_line("a", 4, "d1"),
      formatted(FailureRecord{"x", "ftp://x", Stage::kProducer, "line 2: unsupported scheme"}),
      digest_line("b", 4, "d1"),
      formatted(FailureRecord{"y", "http://h/y", Stage::kFetcher, "HTTP 404"}),
      digest_line("c", 9, "d2"),
  });
  EXPECT_EQ(report.summary.urls, 5U);
  EXPECT_EQ(report.summary.fetched, 3U);
  EXPECT_EQ(report.summary.rejected, 1U);
  EXPECT_EQ(report.summary.failed, 1U);
  ASSERT_EQ(report.groups.size(), 1U);
  EXPECT_EQ(report.groups[0].digest, "d1");
  EXPECT_EQ(report.failures.size(), 2U);
}

TEST(Aggregator, IgnoresARepeatedDelivery) {
  const Report report = collect_lines({digest_line("a", 4, "d1"), digest_line("a", 4, "d1")});
  EXPECT_EQ(report.summary.fetched, 1U);
  EXPECT_TRUE(report.groups.empty());
}

TEST(Aggregator, UsesTheDefaultAlgorithmForAnEmptyStream) {
  const Report report = collect_lines({}, "md5");
  EXPECT_EQ(report.algorithm, "md5");
  EXPECT_EQ(report.summary.urls, 0U);
}

class AggregatorRefuses : public ::testing::TestWithParam<std::string> {};

TEST_P(AggregatorRefuses, ARecordItCannotTakeWithAProtocolError) {
  try {
    (void)collect_lines({digest_line("a", 1, "d"), GetParam()});
    FAIL() << "accepted " << GetParam();
  } catch (const FatalError& e) {
    EXPECT_EQ(e.code(), ExitCode::kProtocol) << e.what();
    EXPECT_TRUE(std::string(e.what()).starts_with("memory: ")) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Aggregator, AggregatorRefuses,
                         ::testing::Values("U\ti\thttp://h/", "P\ti\tu\tp\t1", "http://bare/",
                                           "H\tb\tu\tp\t1\tmd5\td",  // mixed algorithms
                                           "H\tb\tu\tp\tx\tsha256\td"));

TEST(Aggregator, WritesBothReportFilesAndNoTemporaryFile) {
  const TempDir dir;
  const Report report = collect_lines({digest_line("a", 4, "d1"), digest_line("b", 4, "d1")});
  write_report(report, dir.path().string());
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"report.json", "report.txt"}));
  const auto json = nlohmann::json::parse(read_file(dir.file("report.json")));
  EXPECT_EQ(json["summary"]["duplicate_groups"], 1);
  EXPECT_EQ(read_file(dir.file("report.txt")), to_text(report));
}

TEST(Aggregator, CreatesTheOutputDirectoryAndReplacesAnOldReport) {
  const TempDir dir;
  const std::string out = dir.file("nested/out");
  write_report(collect_lines({digest_line("a", 4, "d1")}), out);
  write_report(collect_lines({digest_line("a", 4, "d1"), digest_line("b", 4, "d1")}), out);
  const auto json = nlohmann::json::parse(read_file(out + "/report.json"));
  EXPECT_EQ(json["summary"]["fetched"], 2);
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"report.json", "report.txt"}));
}

TEST(Aggregator, ThrowsWhenTheOutputDirectoryIsAFile) {
  const TempDir dir;
  testing::write_file(dir.file("plain"), "x");
  EXPECT_THROW(write_report(collect_lines({}), dir.file("plain")), FatalError);
}

}  // namespace
}  // namespace dupipe::aggregator
