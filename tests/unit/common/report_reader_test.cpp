// The report reader: what the aggregator writes reads back field for field; each way a report
// can be wrong is refused with the JSON path of the bad value in the message.
#include "common/protocol/report_reader.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "aggregator/report.hpp"
#include "common/os/sys.hpp"
#include "common/protocol/crawl_state.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe {
namespace {

using Json = nlohmann::ordered_json;

const std::string kDigestA(64, 'a');
const std::string kDigestB(64, 'b');

// What the aggregator writes for a small run: a group of 3, a group of 2, one failure per stage.
std::string aggregator_report() {
  aggregator::ReportBuilder builder("sha256");
  for (const auto& [id, digest, size] :
       {std::tuple{"1", kDigestA, 10}, std::tuple{"2", kDigestA, 10}, std::tuple{"3", kDigestA, 10},
        std::tuple{"4", kDigestB, 7}, std::tuple{"5", kDigestB, 7},
        std::tuple{"6", kDigestA, 11}}) {
    EXPECT_TRUE(builder.add(DigestRecord{id, std::string("http://h/") + id, std::string("/o/") + id,
                                         static_cast<std::uint64_t>(size), "sha256", digest}));
  }
  builder.add(FailureRecord{"7", "ftp://x/", Stage::kProducer, "line 7: unsupported scheme 'ftp'"});
  builder.add(FailureRecord{"8", "http://h/404", Stage::kFetcher, "HTTP 404"});
  builder.add(FailureRecord{"9", "http://h/9", Stage::kHasher, "/o/9: cannot open"});
  return aggregator::to_json(builder.build());
}

Json report_json() { return Json::parse(aggregator_report()); }

TEST(ReportReader, ReadsWhatTheAggregatorWrites) {
  const auto report = parse_report(aggregator_report());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->algorithm, "sha256");
  EXPECT_EQ(report->complete, true);
  EXPECT_EQ(report->summary.urls, 9U);
  EXPECT_EQ(report->summary.fetched, 6U);
  EXPECT_EQ(report->summary.failed, 2U);
  EXPECT_EQ(report->summary.rejected, 1U);
  EXPECT_EQ(report->summary.duplicate_files, 3U);
  EXPECT_EQ(report->summary.wasted_bytes, 27U);
  ASSERT_EQ(report->groups.size(), 2U);
  EXPECT_EQ(report->groups[0].digest, kDigestA);
  ASSERT_EQ(report->groups[0].files.size(), 3U);
  EXPECT_EQ(report->groups[0].files[2].url, "http://h/3");
  EXPECT_EQ(report->groups[0].files[2].path, "/o/3");
  ASSERT_EQ(report->failures.size(), 3U);
  EXPECT_EQ(report->failures[1].stage, "fetcher");
  EXPECT_EQ(report->failures[1].error, "HTTP 404");
}

// A crawl's report: each file's depth and found_on and summary.not_fetched, as the aggregator
// writes them, read back (the launcher once took such a report for an incomplete one and ran
// every re-feed pass).
TEST(ReportReader, ReadsACrawlsReport) {
  aggregator::ReportBuilder builder("sha256");
  for (const char* id : {"1", "2"}) {
    EXPECT_TRUE(builder.add(DigestRecord{id, std::string("http://h/") + id, std::string("/o/") + id,
                                         10, "sha256", kDigestA}));
  }
  aggregator::Report report = builder.build();
  report.crawl =
      CrawlState{{{"http://h/1", PageOrigin{0, ""}}, {"http://h/2", PageOrigin{1, "http://h/1"}}},
                 {{"depth", 4}, {"robots", 1}},
                 {{"http://h/cal/", 7}}};
  const std::string text = aggregator::to_json(report);
  const Json json = Json::parse(text);
  EXPECT_EQ(json["groups"][0]["files"][1]["found_on"], "http://h/1");
  EXPECT_EQ(json["summary"]["not_fetched"]["depth"], 4);
  EXPECT_EQ(json["summary"]["likely_traps"]["http://h/cal/"], 7);
  EXPECT_NE(aggregator::to_text(report).find(
                "Likely trap: http://h/cal/ (7 pages of content already seen)."),
            std::string::npos);
  // The crawl state carries the likely traps from the producer to the aggregator.
  const testing::TempDir dir;
  ASSERT_TRUE(sys::write_file_atomically(dir.file("crawl.json"), to_json(*report.crawl)));
  const auto state = read_crawl_state(dir.file("crawl.json"));
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_EQ(state->likely_traps, report.crawl->likely_traps);
  const auto read = parse_report(text);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->summary.fetched, 2U);
  Json broken = json;
  broken["summary"]["not_fetched"]["depth"] = -1;
  EXPECT_FALSE(parse_report(broken.dump()).has_value());
  broken = json;
  broken["summary"]["likely_traps"] = "many";
  EXPECT_FALSE(parse_report(broken.dump()).has_value());
}

TEST(ReportReader, ReadsTheCompleteFlag) {
  Json json = report_json();
  json["complete"] = false;
  const auto report = parse_report(json.dump());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->complete, false);
}

struct Broken {
  std::string name;
  void (*change)(Json&);
  std::string error;  // the message must start with this
};

void PrintTo(const Broken& c, std::ostream* os) { *os << c.name; }

class ReportReaderRefuses : public ::testing::TestWithParam<Broken> {};

TEST_P(ReportReaderRefuses, ABrokenReportNamingThePath) {
  Json json = report_json();
  GetParam().change(json);
  const auto report = parse_report(json.dump());
  ASSERT_FALSE(report) << GetParam().name;
  EXPECT_TRUE(report.error().message.starts_with(GetParam().error)) << report.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    ReportReader, ReportReaderRefuses,
    ::testing::Values(
        Broken{"NotAnObject", [](Json& j) { j = Json::array(); }, "report: expected an object"},
        Broken{"NoVersion", [](Json& j) { j.erase("version"); }, "report: missing key \"version\""},
        Broken{"Version2", [](Json& j) { j["version"] = 2; }, "version: 2, this reader knows 1"},
        Broken{"VersionText", [](Json& j) { j["version"] = "1"; }, "version: expected an unsigned"},
        Broken{"UnknownKey", [](Json& j) { j["extra"] = 1; }, "extra: unknown key"},
        Broken{"DirMode", [](Json& j) { j["mode"] = "dir"; }, "mode: a directory-mode report"},
        Broken{"Algorithm", [](Json& j) { j["algorithm"] = "crc32"; },
               "algorithm: unknown \"crc32\""},
        Broken{"Complete", [](Json& j) { j["complete"] = 1; }, "complete: expected true or false"},
        Broken{"NegativeCount", [](Json& j) { j["summary"]["urls"] = -1; },
               "summary.urls: expected an unsigned"},
        Broken{"FloatCount", [](Json& j) { j["summary"]["fetched"] = 6.0; },
               "summary.fetched: expected an unsigned"},
        Broken{"SummaryKey", [](Json& j) { j["summary"].erase("failed"); },
               "summary: missing key \"failed\""},
        Broken{"Urls", [](Json& j) { j["summary"]["urls"] = 10; }, "summary.urls: not fetched"},
        Broken{"Wrap",
               [](Json& j) {
                 j["summary"]["fetched"] = UINT64_MAX;
                 j["summary"]["urls"] = 2;
               },
               "summary.urls: not fetched"},
        Broken{"Rejected",
               [](Json& j) {
                 j["summary"]["rejected"] = 2;
                 j["summary"]["urls"] = 10;
               },
               "summary.rejected"},
        Broken{"Groups", [](Json& j) { j["summary"]["duplicate_groups"] = 3; },
               "summary.duplicate_groups"},
        Broken{"Wasted", [](Json& j) { j["summary"]["wasted_bytes"] = 1; }, "summary.wasted_bytes"},
        Broken{"Fetched",
               [](Json& j) {
                 j["summary"]["fetched"] = 2;
                 j["summary"]["urls"] = 5;
               },
               "summary.fetched: fewer"},
        Broken{"Digest", [](Json& j) { j["groups"][1]["digest"] = "abc"; },
               "groups[1].digest: 3 hex digits, sha256 has 64"},
        Broken{"DigestCase", [](Json& j) { j["groups"][0]["digest"] = std::string(64, 'A'); },
               "groups[0].digest: not lowercase hex"},
        Broken{"OneFile", [](Json& j) { j["groups"][1]["files"].erase(1); },
               "groups[1].files: a group has at least 2"},
        Broken{"FileUrl", [](Json& j) { j["groups"][0]["files"][2]["url"] = 3; },
               "groups[0].files[2].url: expected a string"},
        Broken{"FileKey", [](Json& j) { j["groups"][0]["files"][0]["x"] = ""; },
               "groups[0].files[0].x: unknown key"},
        Broken{"Stage", [](Json& j) { j["failures"][2]["stage"] = "launcher"; },
               "failures[2].stage: unknown stage"},
        Broken{"FailureKey", [](Json& j) { j["failures"][0].erase("error"); },
               "failures[0]: missing key \"error\""},
        Broken{"GroupsType", [](Json& j) { j["groups"] = Json::object(); },
               "groups: expected an array"}));

TEST(ReportReader, RefusesTextThatIsNotJson) {
  for (const std::string text : {"", "{", "{\"version\": 1,}", "\xff", "[1] x"}) {
    const auto report = parse_report(text);
    ASSERT_FALSE(report) << text;
    EXPECT_TRUE(report.error().message.starts_with("report: not valid JSON"))
        << report.error().message;
  }
}

// Found by the report_reader fuzz target: nlohmann throws out_of_range, not parse_error, for a
// number too large for a double, and the reader let it escape (std::terminate).
TEST(ReportReader, RefusesANumberTooLargeForADouble) {
  const auto report = parse_report("{\"version\": 1e332}");
  ASSERT_FALSE(report);
  EXPECT_TRUE(report.error().message.starts_with("report: not valid JSON"))
      << report.error().message;
  EXPECT_NE(report.error().message.find("number overflow"), std::string::npos)
      << report.error().message;
}

TEST(ReportReader, NamesTheFileItReads) {
  const testing::TempDir dir;
  const std::string path = dir.file("report.json");
  testing::write_file(path, aggregator_report());
  EXPECT_TRUE(read_report(path));
  testing::write_file(path, "{}");
  const auto broken = read_report(path);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message, path + ": report: missing key \"version\"");
  const auto missing = read_report(dir.file("none.json"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("none.json"), std::string::npos);
}

}  // namespace
}  // namespace dupipe
