// Typed records <-> protocol lines: every record type round-trips, malformed lines are refused
// with a reason, and a failure record is always encodable however long its text.
#include "common/protocol/records.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <variant>

#include "common/protocol/record_codec.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe {
namespace {

using testing::all_byte_values;
using testing::formatted;

TEST(Records, RoundTripsAUrlRecord) {
  const std::string line =
      formatted(UrlRecord{"0123456789abcdef", "http://h/" + all_byte_values()});
  const auto record = parse_record(line);
  ASSERT_TRUE(record.has_value()) << record.error().message;
  const auto& url = std::get<UrlRecord>(*record);
  EXPECT_EQ(url.id, "0123456789abcdef");
  EXPECT_EQ(url.url, "http://h/" + all_byte_values());
}

TEST(Records, RoundTripsAFileRecord) {
  const FileRecord original{"id\t1", "http://h/a b", "/files/\n" + all_byte_values(),
                            18446744073709551615ULL};
  const auto record = parse_record(formatted(original));
  ASSERT_TRUE(record.has_value()) << record.error().message;
  const auto& file = std::get<FileRecord>(*record);
  EXPECT_EQ(file.id, original.id);
  EXPECT_EQ(file.url, original.url);
  EXPECT_EQ(file.path, original.path);
  EXPECT_EQ(file.size, original.size);
}

TEST(Records, RoundTripsADigestRecord) {
  const DigestRecord original{"id", "http://h/x", "/files/x\\y", 0, "sha256", std::string(64, 'f')};
  const auto record = parse_record(formatted(original));
  ASSERT_TRUE(record.has_value()) << record.error().message;
  const auto& digest = std::get<DigestRecord>(*record);
  EXPECT_EQ(digest.id, original.id);
  EXPECT_EQ(digest.url, original.url);
  EXPECT_EQ(digest.path, original.path);
  EXPECT_EQ(digest.size, original.size);
  EXPECT_EQ(digest.algorithm, original.algorithm);
  EXPECT_EQ(digest.digest, original.digest);
}

TEST(Records, RoundTripsAFailureRecordOfEveryStage) {
  for (const Stage stage : {Stage::kProducer, Stage::kFetcher, Stage::kHasher}) {
    const FailureRecord original{"id", "ftp://h/\r\n", stage, "line 3:\tno\\good"};
    const auto record = parse_record(formatted(original));
    ASSERT_TRUE(record.has_value()) << record.error().message;
    const auto& failure = std::get<FailureRecord>(*record);
    EXPECT_EQ(failure.id, original.id);
    EXPECT_EQ(failure.url, original.url);
    EXPECT_EQ(failure.stage, stage);
    EXPECT_EQ(failure.error, original.error);
  }
}

TEST(Records, FormatsTheDocumentedLineLayout) {
  EXPECT_EQ(formatted(UrlRecord{"i", "u"}), "U\ti\tu");
  EXPECT_EQ(formatted(FileRecord{"i", "u", "p", 42}), "P\ti\tu\tp\t42");
  EXPECT_EQ(formatted(DigestRecord{"i", "u", "p", 7, "md5", "ab"}), "H\ti\tu\tp\t7\tmd5\tab");
  EXPECT_EQ(formatted(FailureRecord{"i", "u", Stage::kHasher, "e"}), "F\ti\tu\thasher\te");
}

TEST(Records, NamesEveryStage) {
  EXPECT_EQ(stage_name(Stage::kProducer), "producer");
  EXPECT_EQ(stage_name(Stage::kFetcher), "fetcher");
  EXPECT_EQ(stage_name(Stage::kHasher), "hasher");
}

TEST(Records, ToleratesATrailingCarriageReturn) {
  const auto record = parse_record("P\ti\tu\tp\t42\r");
  ASSERT_TRUE(record.has_value()) << record.error().message;
  EXPECT_EQ(std::get<FileRecord>(*record).size, 42U);
}

TEST(Records, RoundTripsTheCrawlFeedbackRecords) {
  const std::string link = formatted(FoundLinkRecord{"page1", "http://h/a b\tc"});
  EXPECT_EQ(link, "A\tpage1\thttp://h/a b\\tc");
  const auto found = parse_record(link);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(std::get<FoundLinkRecord>(*found).page_id, "page1");
  EXPECT_EQ(std::get<FoundLinkRecord>(*found).url, "http://h/a b\tc");

  for (const PageOutcome outcome : {PageOutcome::kFetched, PageOutcome::kFailed}) {
    const auto done = parse_record(formatted(PageDoneRecord{"page1", 12, outcome, ""}));
    ASSERT_TRUE(done.has_value()) << done.error().message;
    EXPECT_EQ(std::get<PageDoneRecord>(*done).page_id, "page1");
    EXPECT_EQ(std::get<PageDoneRecord>(*done).links, 12U);
    EXPECT_EQ(std::get<PageDoneRecord>(*done).outcome, outcome);
  }
  EXPECT_EQ(formatted(PageDoneRecord{"p", 0, PageOutcome::kFailed, ""}), "D\tp\t0\tfailed");
  // A text/html page's content digest rides as a fifth field.
  const std::string with_content =
      formatted(PageDoneRecord{"p", 3, PageOutcome::kFetched, "00ff00ff00ff00ff"});
  EXPECT_EQ(with_content, "D\tp\t3\tfetched\t00ff00ff00ff00ff");
  const auto parsed_content = parse_record(with_content);
  ASSERT_TRUE(parsed_content.has_value()) << parsed_content.error().message;
  EXPECT_EQ(std::get<PageDoneRecord>(*parsed_content).content, "00ff00ff00ff00ff");
  EXPECT_EQ(std::get<PageDoneRecord>(*parse_record("D\tp\t0\tfailed")).content, "");
  EXPECT_FALSE(parse_record("D\tp\t0\tfetched\tab\textra").has_value());

  EXPECT_EQ(formatted(HostBusyRecord{"page1", 1500}), "B\tpage1\t1500");
  const auto busy = parse_record("B\tpage1\t1500");
  ASSERT_TRUE(busy.has_value()) << busy.error().message;
  EXPECT_EQ(std::get<HostBusyRecord>(*busy).page_id, "page1");
  EXPECT_EQ(std::get<HostBusyRecord>(*busy).wait_ms, 1500U);
  EXPECT_FALSE(parse_record("B\tpage1\tsoon").has_value());
  EXPECT_FALSE(parse_record("B\tpage1").has_value());
}

struct BadLine {
  std::string line;
  std::string reason;
};

// Readable parameter values in test names and failure messages.
void PrintTo(const BadLine& c, std::ostream* os) { *os << ::testing::PrintToString(c.line); }

class RecordsReject : public ::testing::TestWithParam<BadLine> {};

TEST_P(RecordsReject, MalformedLine) {
  const auto record = parse_record(GetParam().line);
  ASSERT_FALSE(record.has_value()) << "accepted: " << GetParam().line;
  EXPECT_NE(record.error().message.find(GetParam().reason), std::string::npos)
      << record.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Records, RecordsReject,
    ::testing::Values(
        BadLine{"U\tid", "expected 3"}, BadLine{"U\tid\turl\textra", "expected 3"},
        BadLine{"P\tid\turl\tpath", "expected 5"}, BadLine{"P\ti\tu\tp\t1\t2", "expected 5"},
        BadLine{"H\ti\tu\tp\t1\tsha256", "expected 7"},
        BadLine{"H\ti\tu\tp\t1\tsha256\td\tx", "expected 7"},
        BadLine{"F\ti\tu\tfetcher", "expected 5"}, BadLine{"F\ti\tu\tfetcher\te\tx", "expected 5"},
        BadLine{"P\ti\tu\tp\t", "bad size"}, BadLine{"P\ti\tu\tp\t-1", "bad size"},
        BadLine{"P\ti\tu\tp\t12a", "bad size"}, BadLine{"P\ti\tu\tp\t 12", "bad size"},
        BadLine{"P\ti\tu\tp\t+12", "bad size"}, BadLine{"P\ti\tu\tp\t0x10", "bad size"},
        BadLine{"P\ti\tu\tp\t18446744073709551616", "bad size"},
        BadLine{"H\ti\tu\tp\tbig\tsha256\td", "bad size"},
        BadLine{"X\ti\tu", "unknown record type"}, BadLine{"u\ti\tu", "unknown record type"},
        BadLine{"\ti\tu", "unknown record type"}, BadLine{"", "unknown record type"},
        BadLine{"F\ti\tu\taggregator\te", "unknown stage"},
        BadLine{"F\ti\tu\tFetcher\te", "unknown stage"},
        BadLine{"U\ti\tbad\\escape", "unknown escape"}, BadLine{"A\tpage", "expected 3"},
        BadLine{"D\tpage\t1", "expected 4"}, BadLine{"D\tpage\tx\tfetched", "bad size"},
        BadLine{"D\tpage\t1\tdone", "unknown page outcome"}));

TEST(Records, TreatsALineWithoutTabAsBare) {
  EXPECT_TRUE(is_bare_line("http://example.com/a"));
  EXPECT_TRUE(is_bare_line(""));
  EXPECT_TRUE(is_bare_line("U"));
  EXPECT_FALSE(is_bare_line("U\tid\thttp://example.com/a"));
  EXPECT_FALSE(is_bare_line("\t"));
}

TEST(Records, RefusesToFormatAnOversizedUrlRecord) {
  EXPECT_FALSE(format_record(UrlRecord{"id", std::string(kMaxRecordBytes, 'a')}).has_value());
}

TEST(Records, RefusesToFormatAnOversizedFileRecord) {
  EXPECT_FALSE(
      format_record(FileRecord{"id", "u", std::string(kMaxRecordBytes, 'p'), 1}).has_value());
}

// The failure must stay a valid record that names the same id and stage, with the long fields
// cut and marked.
void expect_shortened_failure_fits(const FailureRecord& original) {
  const auto line = format_record(original);
  ASSERT_TRUE(line.has_value()) << line.error().message;
  EXPECT_LE(line->size() + 1, kMaxRecordBytes);
  const auto record = parse_record(*line);
  ASSERT_TRUE(record.has_value()) << record.error().message;
  const auto& failure = std::get<FailureRecord>(*record);
  EXPECT_EQ(failure.id, original.id);
  EXPECT_EQ(failure.stage, original.stage);
  EXPECT_TRUE(failure.url.ends_with("...")) << failure.url.size();
  EXPECT_TRUE(original.url.starts_with(failure.url.substr(0, failure.url.size() - 3)));
}

TEST(Records, ShortensAnOversizedFailureSoItStillFits) {
  expect_shortened_failure_fits(
      FailureRecord{"0123456789abcdef", "http://h/" + std::string(10000, 'a'), Stage::kProducer,
                    "line 1: URL is 10009 bytes long; " + std::string(5000, 'e')});
}

TEST(Records, ShortensAFailureWhoseUrlIsAllControlBytes) {
  // What the producer writes for a 2000-byte line of control bytes: every byte escapes to four.
  expect_shortened_failure_fits(FailureRecord{"0123456789abcdef", std::string(2000, '\x01'),
                                              Stage::kProducer,
                                              "line 1: contains control byte 0x01 at offset 0"});
}

TEST(Records, ShortensAFailureWhoseUrlAndErrorAreBothEscapeHeavy) {
  expect_shortened_failure_fits(FailureRecord{"0123456789abcdef", std::string(3000, '\t'),
                                              Stage::kFetcher, std::string(3000, '\n')});
}

}  // namespace
}  // namespace dupipe

namespace dupipe {
namespace {

TEST(Records, RoundTripsTheDirectoryModeRecords) {
  using testing::formatted;
  using testing::parsed;
  const std::string w = "W\tid\t/a\\tb\t5\t2049\t77\t1700000000123456789";
  EXPECT_EQ(formatted(parsed(w)), w);
  const auto file = std::get<DirectoryFileRecord>(parsed(w));
  EXPECT_EQ(file.path, "/a\tb");
  EXPECT_EQ(file.mtime_ns, 1700000000123456789u);
  const auto group = std::get<GroupRecord>(parsed("G\t100000\t3"));
  EXPECT_EQ(group.size, 100000u);
  EXPECT_EQ(group.files, 3u);
  EXPECT_EQ(formatted(group), "G\t100000\t3");
  EXPECT_EQ(std::get<LinkRecord>(parsed("L\tid\t/b\t/a\t5")).target, "/a");
  EXPECT_EQ(std::get<StatRecord>(parsed("S\tgrouper\tfiles\t12")).value, 12u);
  EXPECT_FALSE(parse_record("W\tid\t/a\t5\t1\t2\t3\t").has_value());  // the old 8th field
  EXPECT_FALSE(parse_record("W\tid\t/a\tx\t1\t2\t3").has_value());
  EXPECT_FALSE(parse_record("G\t5").has_value());
  EXPECT_FALSE(parse_record("G\t5\tx").has_value());
  EXPECT_FALSE(parse_record("S\tgrouper\tfiles").has_value());
}

}  // namespace
}  // namespace dupipe
