// The producer stage loop over in-memory endpoints: every non-blank, non-comment line becomes a
// U record (with its stable id) or an F record whose error names the line and the reason.
#include "producer/producer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "common/protocol/record_codec.hpp"
#include "common/protocol/record_id.hpp"
#include "tests/support/memory_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::producer {
namespace {

using testing::CapturedLog;
using testing::parsed;

struct StageOutput {
  Counts counts;
  std::vector<std::string> lines;
  std::vector<Record> records;
  std::string log;
};

StageOutput run_producer(std::vector<std::string> lines, const UrlPolicy& policy = UrlPolicy{}) {
  MemoryReader input(std::move(lines));
  MemoryWriter output;
  CapturedLog log("producer");
  StageOutput result;
  result.counts = run(input, output, policy, log.logger());
  result.lines = output.lines;
  for (const std::string& line : output.lines) result.records.push_back(parsed(line));
  result.log = log.text();
  return result;
}

void expect_url(const Record& record, const std::string& url) {
  const auto* accepted = std::get_if<UrlRecord>(&record);
  ASSERT_NE(accepted, nullptr) << url;
  EXPECT_EQ(accepted->url, url);
  EXPECT_EQ(accepted->id, make_record_id(url));
}

void expect_rejected(const Record& record, const std::string& text,
                     const std::string& error_prefix) {
  const auto* failure = std::get_if<FailureRecord>(&record);
  ASSERT_NE(failure, nullptr) << text;
  EXPECT_EQ(failure->url, text);
  EXPECT_EQ(failure->id, make_record_id(text));
  EXPECT_EQ(failure->stage, Stage::kProducer);
  EXPECT_TRUE(failure->error.starts_with(error_prefix)) << failure->error;
}

TEST(Producer, WritesAUrlRecordPerAcceptedLine) {
  const StageOutput result = run_producer({"http://example.com/a", "https://example.com/b"});
  EXPECT_EQ(result.counts.accepted, 2U);
  EXPECT_EQ(result.counts.rejected, 0U);
  EXPECT_EQ(result.counts.skipped, 0U);
  ASSERT_EQ(result.records.size(), 2U);
  expect_url(result.records[0], "http://example.com/a");
  expect_url(result.records[1], "https://example.com/b");
  EXPECT_EQ(result.lines[0],
            "U\t" + make_record_id("http://example.com/a") + "\thttp://example.com/a");
}

TEST(Producer, SkipsBlankLinesAndCommentsButCountsThemAsLines) {
  const StageOutput result = run_producer(
      {"", "# list of images", "   ", "\r", "ftp://example.com/x", "  http://example.com/a  \r"});
  EXPECT_EQ(result.counts.skipped, 4U);
  EXPECT_EQ(result.counts.rejected, 1U);
  EXPECT_EQ(result.counts.accepted, 1U);
  ASSERT_EQ(result.records.size(), 2U);
  expect_rejected(result.records[0], "ftp://example.com/x", "line 5: unsupported scheme 'ftp'");
  expect_url(result.records[1], "http://example.com/a");
}

TEST(Producer, RejectsInvalidLinesWithTheLineNumberAndReason) {
  const StageOutput result = run_producer(
      {"http://example.com/ok", "no scheme", "file:///etc/passwd", "http://example.com/\x01"});
  EXPECT_EQ(result.counts.accepted, 1U);
  EXPECT_EQ(result.counts.rejected, 3U);
  ASSERT_EQ(result.records.size(), 4U);
  expect_rejected(result.records[1], "no scheme", "line 2: contains a space");
  expect_rejected(result.records[2], "file:///etc/passwd", "line 3: file:// URLs are refused");
  expect_rejected(result.records[3], "http://example.com/\x01",
                  "line 4: contains control byte 0x01");
  EXPECT_NE(result.log.find("warning: line 2: "), std::string::npos) << result.log;
}

TEST(Producer, AcceptsFileUrlsWhenAllowed) {
  const StageOutput result = run_producer({"file:///tmp/a"}, UrlPolicy{true});
  EXPECT_EQ(result.counts.accepted, 1U);
  ASSERT_EQ(result.records.size(), 1U);
  expect_url(result.records[0], "file:///tmp/a");
}

TEST(Producer, RejectsExactRepeatsNamingTheFirstLine) {
  const StageOutput result = run_producer({"http://example.com/a", "# c", "http://example.com/b",
                                           " http://example.com/a", "http://example.com/a"});
  EXPECT_EQ(result.counts.accepted, 2U);
  EXPECT_EQ(result.counts.rejected, 2U);
  ASSERT_EQ(result.records.size(), 4U);
  expect_url(result.records[0], "http://example.com/a");
  expect_url(result.records[1], "http://example.com/b");
  expect_rejected(result.records[2], "http://example.com/a", "line 4: repeat of line 1");
  expect_rejected(result.records[3], "http://example.com/a", "line 5: repeat of line 1");
}

TEST(Producer, TreatsUrlsDifferingOnlyInCaseAsDistinct) {
  const StageOutput result = run_producer({"http://example.com/A", "http://example.com/a"});
  EXPECT_EQ(result.counts.accepted, 2U);
}

TEST(Producer, WritesNothingForAnEmptyInput) {
  const StageOutput result = run_producer({});
  EXPECT_EQ(result.counts.accepted + result.counts.rejected + result.counts.skipped, 0U);
  EXPECT_TRUE(result.lines.empty());
}

TEST(Producer, ReportsAnOverlongLineAsAFailureThatFitsTheProtocol) {
  const std::string text = "http://example.com/" + std::string(10000, 'a');
  const StageOutput result = run_producer({text});
  EXPECT_EQ(result.counts.rejected, 1U);
  ASSERT_EQ(result.records.size(), 1U);
  const auto& failure = std::get<FailureRecord>(result.records[0]);
  EXPECT_TRUE(failure.error.starts_with("line 1: URL is 10019 bytes long")) << failure.error;
  EXPECT_EQ(failure.id, make_record_id(text));  // the id names the full line, not the shortened one
  EXPECT_LE(result.lines[0].size() + 1, kMaxRecordBytes);
}

TEST(Producer, ReportsALineOfControlBytesAsAFailureThatFitsTheProtocol) {
  // 2000 bytes is under the URL length limit, so the reason is the first control byte; every byte
  // of the line escapes to four on the wire.
  const std::string text(2000, '\x01');
  StageOutput result;
  ASSERT_NO_THROW(result = run_producer({text}));
  EXPECT_EQ(result.counts.rejected, 1U);
  ASSERT_EQ(result.records.size(), 1U);
  const auto& failure = std::get<FailureRecord>(result.records[0]);
  EXPECT_TRUE(failure.error.starts_with("line 1: contains control byte 0x01")) << failure.error;
  EXPECT_LE(result.lines[0].size() + 1, kMaxRecordBytes);
}

TEST(Producer, AcceptsCredentialsButMasksThemInFailuresAndLogs) {
  const StageOutput result =
      run_producer({"http://user:secret@example.com/a", "ftp://user:secret@example.com/b",
                    "http://user:secret@example.com/a"});
  EXPECT_EQ(result.counts.accepted, 1U);
  ASSERT_EQ(result.records.size(), 3U);
  expect_url(result.records[0], "http://user:secret@example.com/a");  // the fetcher needs them
  const auto& scheme = std::get<FailureRecord>(result.records[1]);
  EXPECT_EQ(scheme.url, "ftp://user:***@example.com/b");
  EXPECT_EQ(scheme.id, make_record_id("ftp://user:secret@example.com/b"));
  const auto& repeat = std::get<FailureRecord>(result.records[2]);
  EXPECT_EQ(repeat.url, "http://user:***@example.com/a");
  EXPECT_EQ(repeat.error, "line 3: repeat of line 1");
  EXPECT_EQ(result.log.find("secret"), std::string::npos) << result.log;
}

TEST(Producer, RejectsABackslashSoEveryUrlRecordFits) {
  // Each backslash doubles on the wire: 2039 of them would make a 4000-byte U record.
  const std::string text = "http://example.com/" + std::string(2000, '\\');
  StageOutput result;
  ASSERT_NO_THROW(result = run_producer({text}));
  ASSERT_EQ(result.records.size(), 1U);
  const auto& failure = std::get<FailureRecord>(result.records[0]);
  EXPECT_EQ(failure.error, "line 1: contains a backslash at offset 19 (percent-encode it as %5C)");
  EXPECT_EQ(failure.id, make_record_id(text));
  EXPECT_LE(result.lines[0].size() + 1, kMaxRecordBytes);
}

TEST(Producer, AccountsForTheSameUrlTenThousandTimes) {
  std::vector<std::string> lines(10000, "http://example.com/same");
  const StageOutput result = run_producer(std::move(lines));
  EXPECT_EQ(result.counts.accepted, 1U);
  EXPECT_EQ(result.counts.rejected, 9999U);
  ASSERT_EQ(result.records.size(), 10000U);
  expect_rejected(result.records[9999], "http://example.com/same", "line 10000: repeat of line 1");
}

}  // namespace
}  // namespace dupipe::producer
