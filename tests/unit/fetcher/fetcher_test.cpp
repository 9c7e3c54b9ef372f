// The fetcher stage loop with a fake UrlFetcher (no network): U and bare URL lines are fetched
// into P records or F records naming the cause, F records pass through, P and H stop the stage.
#include "fetcher/fetcher.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "common/memory_endpoint.hpp"
#include "common/record_id.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::fetcher {
namespace {

using testing::CapturedLog;
using testing::formatted;
using testing::parsed;

// Serves URLs from a table: a known URL "downloads" to /files/<id> with the table's size, any
// other URL fails with "HTTP 404". Remembers what it was asked for.
class FakeFetcher final : public UrlFetcher {
 public:
  explicit FakeFetcher(std::map<std::string, std::uint64_t> sizes) : sizes_(std::move(sizes)) {}

  [[nodiscard]] Expected<DownloadedFile> fetch(const UrlRecord& record) override {
    requested.push_back(record);
    const auto found = sizes_.find(record.url);
    if (found == sizes_.end()) return fail("HTTP 404");
    return DownloadedFile{"/files/" + record.id, found->second};
  }

  std::vector<UrlRecord> requested;

 private:
  std::map<std::string, std::uint64_t> sizes_;
};

struct StageOutput {
  Counts counts;
  std::vector<std::string> lines;
  std::vector<Record> records;
  std::string log;
};

StageOutput run_fetcher(std::vector<std::string> lines, FakeFetcher& fetcher,
                        const UrlPolicy& policy = UrlPolicy{}) {
  MemoryReader input(std::move(lines));
  MemoryWriter output;
  CapturedLog log("fetcher");
  StageOutput result;
  result.counts = run(input, output, fetcher, policy, log.logger());
  result.lines = output.lines;
  for (const std::string& line : output.lines) result.records.push_back(parsed(line));
  result.log = log.text();
  return result;
}

TEST(Fetcher, TurnsAUrlRecordIntoAFileRecord) {
  FakeFetcher fetcher({{"http://h/a.png", 1234}});
  const StageOutput result = run_fetcher({formatted(UrlRecord{"id1", "http://h/a.png"})}, fetcher);
  EXPECT_EQ(result.counts.fetched, 1U);
  EXPECT_EQ(result.counts.failed, 0U);
  ASSERT_EQ(result.records.size(), 1U);
  const auto& file = std::get<FileRecord>(result.records[0]);
  EXPECT_EQ(file.id, "id1");
  EXPECT_EQ(file.url, "http://h/a.png");
  EXPECT_EQ(file.path, "/files/id1");
  EXPECT_EQ(file.size, 1234U);
}

TEST(Fetcher, TurnsAFetchFailureIntoAFailureRecord) {
  FakeFetcher fetcher({});
  const StageOutput result =
      run_fetcher({formatted(UrlRecord{"id1", "http://h/missing"})}, fetcher);
  EXPECT_EQ(result.counts.failed, 1U);
  ASSERT_EQ(result.records.size(), 1U);
  const auto& failure = std::get<FailureRecord>(result.records[0]);
  EXPECT_EQ(failure.id, "id1");
  EXPECT_EQ(failure.url, "http://h/missing");
  EXPECT_EQ(failure.stage, Stage::kFetcher);
  EXPECT_EQ(failure.error, "HTTP 404");
  EXPECT_NE(result.log.find("warning: http://h/missing: HTTP 404"), std::string::npos)
      << result.log;
}

TEST(Fetcher, PassesFailuresThroughUnchanged) {
  FakeFetcher fetcher({});
  const std::string line =
      formatted(FailureRecord{"id7", "ftp://x\t", Stage::kProducer, "line 7: no"});
  const StageOutput result = run_fetcher({line}, fetcher);
  EXPECT_EQ(result.counts.passed_through, 1U);
  EXPECT_EQ(result.counts.failed, 0U);
  EXPECT_EQ(result.lines, std::vector<std::string>{line});
  EXPECT_TRUE(fetcher.requested.empty());
}

TEST(Fetcher, PassesAReFedDownloadOnWithoutFetchingIt) {
  FakeFetcher fetcher({});
  const std::string line = formatted(FileRecord{"id8", "http://h/a", "/files/id8-a", 4});
  const StageOutput result = run_fetcher({line}, fetcher);
  EXPECT_EQ(result.counts.passed_through, 1U);
  EXPECT_EQ(result.lines, std::vector<std::string>{line});
  EXPECT_TRUE(fetcher.requested.empty());
}

TEST(Fetcher, AcceptsBareUrlLinesWithTheProducersIds) {
  FakeFetcher fetcher({{"http://h/a", 5}});
  const StageOutput result = run_fetcher({"  http://h/a\r", "# comment", ""}, fetcher);
  EXPECT_EQ(result.counts.fetched, 1U);
  ASSERT_EQ(fetcher.requested.size(), 1U);
  EXPECT_EQ(fetcher.requested[0].url, "http://h/a");
  EXPECT_EQ(fetcher.requested[0].id, make_record_id("http://h/a"));
  ASSERT_EQ(result.records.size(), 1U);
  EXPECT_EQ(std::get<FileRecord>(result.records[0]).id, make_record_id("http://h/a"));
}

TEST(Fetcher, TurnsInvalidBareLinesIntoFailureRecords) {
  FakeFetcher fetcher({});
  const StageOutput result = run_fetcher({"ftp://h/a", "not a url"}, fetcher);
  EXPECT_EQ(result.counts.failed, 2U);
  EXPECT_TRUE(fetcher.requested.empty());
  ASSERT_EQ(result.records.size(), 2U);
  const auto& failure = std::get<FailureRecord>(result.records[0]);
  EXPECT_EQ(failure.url, "ftp://h/a");
  EXPECT_EQ(failure.id, make_record_id("ftp://h/a"));
  EXPECT_EQ(failure.stage, Stage::kFetcher);
  EXPECT_NE(failure.error.find("unsupported scheme"), std::string::npos) << failure.error;
  EXPECT_NE(std::get<FailureRecord>(result.records[1]).error.find("space"), std::string::npos);
}

TEST(Fetcher, HonoursAllowFileForBareLines) {
  FakeFetcher fetcher({{"file:///tmp/x", 1}});
  EXPECT_EQ(run_fetcher({"file:///tmp/x"}, fetcher).counts.failed, 1U);
  EXPECT_EQ(run_fetcher({"file:///tmp/x"}, fetcher, UrlPolicy{true}).counts.fetched, 1U);
}

TEST(Fetcher, KeepsTheOrderOfAMixedStream) {
  FakeFetcher fetcher({{"http://h/1", 1}});
  const StageOutput result = run_fetcher({formatted(UrlRecord{"a", "http://h/1"}),
                                          formatted(FailureRecord{"b", "x", Stage::kProducer, "e"}),
                                          formatted(UrlRecord{"c", "http://h/2"})},
                                         fetcher);
  ASSERT_EQ(result.records.size(), 3U);
  EXPECT_TRUE(std::holds_alternative<FileRecord>(result.records[0]));
  EXPECT_EQ(std::get<FailureRecord>(result.records[1]).stage, Stage::kProducer);
  EXPECT_EQ(std::get<FailureRecord>(result.records[2]).stage, Stage::kFetcher);
  EXPECT_EQ(result.counts.fetched, 1U);
  EXPECT_EQ(result.counts.failed, 1U);
  EXPECT_EQ(result.counts.passed_through, 1U);
}

class FetcherRefuses : public ::testing::TestWithParam<std::string> {};

TEST_P(FetcherRefuses, ARecordItCannotTakeWithAProtocolError) {
  FakeFetcher fetcher({});
  MemoryReader input({GetParam()});
  MemoryWriter output;
  const CapturedLog log;
  try {
    (void)run(input, output, fetcher, UrlPolicy{}, log.logger());
    FAIL() << "accepted " << GetParam();
  } catch (const FatalError& e) {
    EXPECT_EQ(e.exit_code(), ExitCode::kProtocol) << e.what();
    EXPECT_TRUE(std::string(e.what()).starts_with("memory: ")) << e.what();
  }
  EXPECT_TRUE(output.lines.empty());
}

INSTANTIATE_TEST_SUITE_P(Fetcher, FetcherRefuses,
                         ::testing::Values("H\ti\thttp://h/\t/p\t1\tsha256\tab", "U\tonly-two",
                                           "Q\ti\tu", "U\ti\tbad\\q"));

}  // namespace
}  // namespace dupipe::fetcher
