// The aggregator stage: aggregate() over in-memory records (with and without the journal and the
// producer's manifest) and write_report() into a temporary directory (both files present,
// parseable, and no temporary file left behind).
#include "aggregator/aggregator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/memory_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::aggregator {
namespace {

using testing::CapturedLog;
using testing::formatted;
using testing::read_file;
using testing::TempDir;

Report aggregate_lines(std::vector<std::string> lines, Config config) {
  MemoryReader input(std::move(lines));
  const CapturedLog log("aggregator");
  return aggregate(input, config, log.logger()).report;
}

Report collect_lines(std::vector<std::string> lines, const std::string& algorithm = "sha256") {
  Config config;
  config.algorithm = algorithm;
  return aggregate_lines(std::move(lines), config);
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

std::string url_line(const std::string& id) { return formatted(UrlRecord{id, "http://h/" + id}); }

TEST(Aggregator, CountsAFailureOncePerIdAndNotAtAllOnceTheIdWasHashed) {
  const Report report = collect_lines({
      formatted(FailureRecord{"y", "http://h/y", Stage::kFetcher, "HTTP 503"}),
      formatted(FailureRecord{"y", "http://h/y", Stage::kFetcher, "HTTP 503 again"}),
      formatted(FailureRecord{"a", "http://h/a", Stage::kHasher, "size changed"}),
      digest_line("a", 4, "d1"),
  });
  EXPECT_EQ(report.summary.fetched, 1U);
  EXPECT_EQ(report.summary.failed, 1U);
  ASSERT_EQ(report.failures.size(), 1U);
  EXPECT_EQ(report.failures[0].error, "HTTP 503");
}

TEST(Aggregator, KeepsEveryRejectedLineEvenWithTheIdOfAnAcceptedUrl) {
  const Report report = collect_lines({
      digest_line("a", 4, "d1"),
      formatted(FailureRecord{"a", "http://h/a", Stage::kProducer, "line 2: repeat of line 1"}),
      formatted(FailureRecord{"a", "http://h/a", Stage::kProducer, "line 3: repeat of line 1"}),
      formatted(FailureRecord{"a", "http://h/a", Stage::kProducer, "line 3: repeat of line 1"}),
  });
  EXPECT_EQ(report.summary.rejected, 2U);
  EXPECT_EQ(report.summary.urls, 3U);
}

TEST(Aggregator, ReplaysItsJournalAndAppendsWhatItTakes) {
  const TempDir dir;
  Config config;
  config.journal = dir.file("journal");
  (void)aggregate_lines({digest_line("a", 4, "d1")}, config);
  // A restarted aggregator: the journal brings back "a", the stream adds "b" and "a" again.
  const Report report =
      aggregate_lines({digest_line("b", 4, "d1"), digest_line("a", 4, "d1")}, config);
  EXPECT_EQ(report.summary.fetched, 2U);
  ASSERT_EQ(report.groups.size(), 1U);
  EXPECT_EQ(read_file(config.journal), digest_line("a", 4, "d1") + "\n" +
                                           digest_line("b", 4, "d1") + "\n" +
                                           digest_line("a", 4, "d1") + "\n");
}

TEST(Aggregator, CutsOffATornLastJournalLine) {
  const TempDir dir;
  Config config;
  config.journal = dir.file("journal");
  testing::write_file(config.journal, digest_line("a", 4, "d1") + "\nH\tb\thttp://h/b\t/fi");
  const Report report = aggregate_lines({digest_line("c", 4, "d1")}, config);
  EXPECT_EQ(report.summary.fetched, 2U);
  EXPECT_EQ(read_file(config.journal),
            digest_line("a", 4, "d1") + "\n" + digest_line("c", 4, "d1") + "\n");
}

TEST(Aggregator, IsIncompleteWhileManifestRecordsAreMissing) {
  const TempDir dir;
  Config config;
  config.manifest = dir.file("manifest");
  const auto rejected =
      formatted(FailureRecord{"x", "ftp://x", Stage::kProducer, "line 3: unsupported scheme"});
  testing::write_file(config.manifest,
                      url_line("a") + "\n" + url_line("b") + "\n" + rejected + "\n");
  const Report partial = aggregate_lines({digest_line("a", 4, "d1"), rejected}, config);
  EXPECT_FALSE(partial.complete);
  const Report whole =
      aggregate_lines({digest_line("a", 4, "d1"), rejected,
                       formatted(FailureRecord{"b", "http://h/b", Stage::kFetcher, "HTTP 404"})},
                      config);
  EXPECT_TRUE(whole.complete);
}

TEST(Aggregator, ReportsWhatNeverArrivedAsFailuresOnTheLastPass) {
  const TempDir dir;
  Config config;
  config.manifest = dir.file("manifest");
  config.lost_are_failures = true;
  const auto rejected =
      formatted(FailureRecord{"x", "ftp://x", Stage::kProducer, "line 3: unsupported scheme"});
  testing::write_file(config.manifest,
                      url_line("a") + "\n" + url_line("b") + "\n" + rejected + "\n");
  const Report report = aggregate_lines({digest_line("a", 4, "d1")}, config);
  EXPECT_TRUE(report.complete);
  EXPECT_EQ(report.summary.urls, 3U);
  EXPECT_EQ(report.summary.rejected, 1U);
  ASSERT_EQ(report.summary.failed, 1U);
  const auto lost = std::find_if(report.failures.begin(), report.failures.end(),
                                 [](const FailureRecord& f) { return f.id == "b"; });
  ASSERT_NE(lost, report.failures.end());
  EXPECT_EQ(lost->stage, Stage::kAggregator);
  EXPECT_NE(lost->error.find("lost in the pipeline"), std::string::npos);
}

TEST(Aggregator, WritesCompleteIntoBothReports) {
  Report report = collect_lines({digest_line("a", 4, "d1")});
  EXPECT_EQ(nlohmann::json::parse(to_json(report))["complete"], true);
  report.complete = false;
  EXPECT_EQ(nlohmann::json::parse(to_json(report))["complete"], false);
  EXPECT_NE(to_text(report).find("INCOMPLETE"), std::string::npos);
}

class AggregatorRefuses : public ::testing::TestWithParam<std::string> {};

TEST_P(AggregatorRefuses, ARecordItCannotTakeWithAProtocolError) {
  try {
    (void)collect_lines({digest_line("a", 1, "d"), GetParam()});
    FAIL() << "accepted " << GetParam();
  } catch (const FatalError& e) {
    EXPECT_EQ(e.exit_code(), ExitCode::kProtocol) << e.what();
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
