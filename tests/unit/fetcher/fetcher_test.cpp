// The fetcher stage loop with a fake UrlFetcher (no network): U and bare URL lines are fetched
// into P records or F records naming the cause, F records pass through, P and H stop the stage.
#include "fetcher/fetcher.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "common/protocol/record_id.hpp"
#include "tests/support/memory_endpoint.hpp"
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
    return DownloadedFile{"/files/" + record.id, found->second, "", ""};
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
  EXPECT_EQ(input.outstanding(), 0u) << "every line read must be acknowledged";
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

// Several downloads in flight, finishing in the opposite order: nothing completes until every
// slot is busy (the test feeds exactly that many URLs), then one download per progress() call,
// the newest first.
class ReversingFetcher final : public AsyncFetcher {
 public:
  explicit ReversingFetcher(std::size_t slots) : slots_(slots) {}
  [[nodiscard]] std::size_t free_slots() const override { return slots_ - running_.size(); }
  void start(UrlRecord record, DeliveryTag tag) override {
    running_.push_back({std::move(record), tag, fail("not done")});
    is_draining_ = is_draining_ || running_.size() == slots_;
  }
  void progress(int /*wait_ms*/) override {
    if (!is_draining_ || running_.empty()) return;  // the pump is still handing URLs over
    Completion done = std::move(running_.back());
    running_.pop_back();
    done.result = DownloadedFile{"/files/" + done.record.id, 1, "", ""};
    completions_.push_back(std::move(done));
  }
  [[nodiscard]] std::vector<Completion> take_completions() override {
    return std::exchange(completions_, {});
  }
  [[nodiscard]] bool is_idle() const override { return running_.empty(); }
  void wake() override {}

 private:
  std::size_t slots_;
  bool is_draining_ = false;
  std::vector<Completion> running_;
  std::vector<Completion> completions_;
};

// The input may be a broker or an shm queue that redelivers what a dead fetcher held: a URL is
// finished only when its P record is out, not when the next URL is read.
TEST(Fetcher, AcknowledgesEachUrlOnlyAfterItsOutputWasWritten) {
  const std::string a = formatted(UrlRecord{"ida", "http://h/a"});
  const std::string b = formatted(UrlRecord{"idb", "http://h/b"});
  MemoryReader input({a, b});
  MemoryWriter output;
  std::vector<std::string> events;
  input.on_event = [&](const std::string& event) { events.push_back(event); };
  output.on_event = [&](const std::string& event) { events.push_back(event); };
  ReversingFetcher fetcher(2);
  const CapturedLog log("fetcher");
  const Counts counts = run(input, output, fetcher, UrlPolicy{}, log.logger());
  EXPECT_EQ(counts.fetched, 2u);
  const std::string pb = formatted(FileRecord{"idb", "http://h/b", "/files/idb", 1});
  const std::string pa = formatted(FileRecord{"ida", "http://h/a", "/files/ida", 1});
  EXPECT_EQ(events,
            (std::vector<std::string>{"write " + pb, "ack " + b, "write " + pa, "ack " + a}));
  EXPECT_EQ(input.outstanding(), 0u);
}

TEST(Fetcher, AcknowledgesPassedThroughSkippedAndRejectedLinesAfterTheirOutput) {
  const std::string failure = formatted(FailureRecord{"i", "http://h/x", Stage::kProducer, "bad"});
  MemoryReader input({failure, "# a comment", "ftp://nope/"});
  MemoryWriter output;
  std::vector<std::string> events;
  input.on_event = [&](const std::string& event) { events.push_back(event); };
  output.on_event = [&](const std::string& event) { events.push_back(event.substr(0, 7)); };
  FakeFetcher fetcher({});
  const CapturedLog log("fetcher");
  (void)run(input, output, fetcher, UrlPolicy{}, log.logger());
  EXPECT_EQ(events, (std::vector<std::string>{"write F", "ack " + failure, "ack # a comment",
                                              "write F", "ack ftp://nope/"}));
}

}  // namespace
}  // namespace dupipe::fetcher
