#include "htmlreport/report_page.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "common/base/error.hpp"
#include "htmlreport/html_text.hpp"

namespace dupipe::htmlreport {
namespace {

using nlohmann::json;

const char* const kHostile = "http://h/<script>alert('x')</script>&\"";

json sample_report() {
  return json{
      {"version", 1},
      {"algorithm", "sha256"},
      {"summary",
       {{"urls", 5},
        {"fetched", 4},
        {"failed", 1},
        {"rejected", 0},
        {"duplicate_groups", 2},
        {"duplicate_files", 2},
        {"wasted_bytes", 1034}}},
      {"groups",
       json::array({{{"digest", "aaaa"},
                     {"size", 1024},
                     {"files", json::array({{{"url", "http://h/a"}, {"path", "/f/a"}},
                                            {{"url", "http://h/b"}, {"path", "/f/b"}}})}},
                    {{"digest", "bbbb"},
                     {"size", 10},
                     {"files", json::array({{{"url", kHostile}, {"path", "/f/<c>"}},
                                            {{"url", "http://h/d"}, {"path", "/f/d"}}})}}})},
      {"failures",
       json::array({{{"url", kHostile}, {"stage", "fetcher"}, {"error", "HTTP 404"}}})}};
}

Timeline sample_timeline() {
  std::istringstream lines(
      R"({"t_ns":1000000000,"stages":[{"pid":7,"role":"hasher","activity":"reading","alive":true,"in":0,"out":0,"failures":0}],"links":[{"name":"paths","queued":0,"capacity":65536}]})"
      "\n"
      R"({"t_ns":1100000000,"stages":[{"pid":7,"role":"hasher","activity":"working","alive":true,"in":1,"out":0,"failures":0}],"links":[{"name":"paths","queued":32768,"capacity":65536}]})"
      "\n"
      R"({"t_ns":1200000000,"stages":[{"pid":7,"role":"hasher","activity":"working","alive":true,"in":2,"out":1,"failures":0}],"links":[]})"
      "\n"
      R"({"t_ns":1300000000,"stages":[{"pid":7,"role":"hasher","activity":"done","alive":false,"in":2,"out":2,"failures":1}],"links":[]})"
      "\n"
      R"({"t_ns":14)"  // torn last line
  );
  return read_timeline(lines);
}

TEST(HtmlText, EscapesEveryCharacterThatCouldEndATextOrAnAttribute) {
  EXPECT_EQ(html_escape("<a href='x'>\"&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;");
  EXPECT_EQ(html_escape("caf\xc3\xa9 menu"), "caf\xc3\xa9 menu");
}

TEST(HtmlText, BytesReadForPeople) {
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(3u * 1024 * 1024 * 1024), "3.0 GiB");
}

TEST(Timeline, SamplesBecomeMergedSegmentsPerProcessAndATornLineIsSkipped) {
  const Timeline t = sample_timeline();
  ASSERT_EQ(t.processes.size(), 1u);
  const ProcessLane& lane = t.processes[0];
  EXPECT_EQ(lane.role, "hasher");
  EXPECT_EQ(lane.records_out, 2u);
  EXPECT_EQ(lane.failures, 1u);
  ASSERT_EQ(lane.segments.size(), 3u);  // reading, working (two samples), idle
  EXPECT_EQ(lane.segments[0].state, LaneState::kWaitingForInput);
  EXPECT_EQ(lane.segments[1].state, LaneState::kWorking);
  EXPECT_NEAR(lane.segments[1].begin_s, 0.1, 1e-9);
  EXPECT_NEAR(lane.segments[1].end_s, 0.3, 1e-9);
  EXPECT_EQ(lane.segments[2].state, LaneState::kIdle);
  EXPECT_NEAR(t.duration_s, 0.3, 1e-9);
  ASSERT_EQ(t.links.size(), 1u);
  ASSERT_EQ(t.links[0].fill.size(), 2u);
  EXPECT_DOUBLE_EQ(t.links[0].fill[1].second, 0.5);
}

TEST(ReportPage, ShowsEveryGroupAndFailureWithHostileTextEscaped) {
  const std::string page = report_page(sample_report(), sample_timeline());
  EXPECT_NE(page.find("<code class=\"digest\">aaaa</code>"), std::string::npos);
  EXPECT_NE(page.find("<code class=\"digest\">bbbb</code>"), std::string::npos);
  EXPECT_NE(page.find("data-wasted=\"1024\""), std::string::npos);
  EXPECT_NE(page.find("http://h/&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"),
            std::string::npos);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.find("/f/&lt;c&gt;"), std::string::npos);
  EXPECT_NE(page.find("<svg id=\"timeline\""), std::string::npos);
  EXPECT_NE(page.find("hasher 7"), std::string::npos);
}

TEST(ReportPage, LoadsNothingFromOutside) {
  const std::string page = report_page(sample_report(), sample_timeline());
  EXPECT_NE(page.find("Content-Security-Policy"), std::string::npos);
  for (const char* outside : {"src=", "href=", "@import", "url(", "<link"}) {
    EXPECT_EQ(page.find(outside), std::string::npos) << outside;
  }
  std::size_t scripts = 0;
  for (std::size_t at = page.find("<script"); at != std::string::npos;
       at = page.find("<script", at + 1)) {
    ++scripts;
  }
  EXPECT_EQ(scripts, 1u);  // the sorting script, and no other
}

TEST(ReportPage, RefusesAReportOfAnotherVersion) {
  EXPECT_THROW((void)report_page(json{{"version", 2}}, Timeline{}), FatalError);
  EXPECT_THROW((void)report_page(json::array(), Timeline{}), FatalError);
}

}  // namespace
}  // namespace dupipe::htmlreport
