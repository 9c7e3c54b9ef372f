// The producer's crawl bookkeeping: seeds become U records, a page's links arrive as A records
// and count at its D record, links over a trap limit or out of scope are refused once each, a
// failed page settles with no links, a second report of a page (after a restart) is ignored,
// and a feedback line that is not A or D is an error.
#include "producer/crawl_schedule.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/protocol/record_id.hpp"

namespace dupipe::producer {
namespace {

const crawl::Clock::time_point kNow{};

crawl::FoundUrl seed(const std::string& url) { return crawl::FoundUrl{url, url}; }

CrawlSchedule schedule_of(const std::vector<crawl::FoundUrl>& seeds, CrawlOptions options = {}) {
  auto made = CrawlSchedule::make(options, seeds);
  if (!made) throw std::runtime_error(made.error().message);
  return std::move(*made);
}

std::vector<UrlRecord> take_pages(CrawlSchedule& schedule) {
  std::vector<UrlRecord> pages;
  while (auto page = schedule.next(kNow)) pages.push_back(std::move(page->record));
  return pages;
}

void report(CrawlSchedule& schedule, const UrlRecord& page, const std::vector<std::string>& links,
            const char* outcome = "fetched") {
  for (const std::string& link : links) {
    ASSERT_TRUE(schedule.take("A\t" + page.id + "\t" + link).has_value());
  }
  const auto done =
      schedule.take("D\t" + page.id + "\t" + std::to_string(links.size()) + "\t" + outcome);
  ASSERT_TRUE(done.has_value()) << done.error().message;
}

TEST(CrawlSchedule, HandsOutTheSeedsThenTheLinksOfEachPage) {
  CrawlSchedule schedule = schedule_of({seed("http://h.test/")});
  const auto first = take_pages(schedule);
  ASSERT_EQ(first.size(), 1U);
  EXPECT_EQ(first[0].url, "http://h.test/");
  EXPECT_EQ(first[0].id, make_record_id("http://h.test/"));
  report(schedule, first[0], {"http://h.test/a", "http://H.test:80/a", "http://h.test/b"});
  const auto second = take_pages(schedule);
  ASSERT_EQ(second.size(), 2U) << "two spellings of /a are one page";
  EXPECT_EQ(second[0].url, "http://h.test/a");
  EXPECT_EQ(second[1].url, "http://h.test/b");
  EXPECT_FALSE(schedule.is_finished());
  report(schedule, second[0], {"http://h.test/"});
  report(schedule, second[1], {}, "failed");
  EXPECT_TRUE(schedule.is_finished());
  const CrawlCounts counts = schedule.counts();
  EXPECT_EQ(counts.seeds, 1U);
  EXPECT_EQ(counts.fetched, 2U);
  EXPECT_EQ(counts.failed, 1U);
  EXPECT_EQ(counts.found, 2U);
}

TEST(CrawlSchedule, RefusesTrapsAndForeignHostsOnceEach) {
  CrawlOptions options;
  options.scope.reject = "\\.zip$";
  CrawlSchedule schedule = schedule_of({seed("http://h.test/")}, options);
  const auto first = take_pages(schedule);
  ASSERT_EQ(first.size(), 1U);
  report(schedule, first[0],
         {"http://other.test/x", "http://other.test/x", "http://h.test/a/a/a/a/",
          "http://h.test/" + std::string(2100, 'l'), "http://h.test/f.zip", "http://h.test/ok"});
  const auto second = take_pages(schedule);
  ASSERT_EQ(second.size(), 1U);
  EXPECT_EQ(second[0].url, "http://h.test/ok");
  const CrawlCounts counts = schedule.counts();
  EXPECT_EQ(counts.scope, 1U);
  EXPECT_EQ(counts.trap, 2U);
  EXPECT_EQ(counts.filter, 1U);
}

TEST(CrawlSchedule, CountsWhatIsTooDeepOrOverThePageLimit) {
  CrawlOptions options;
  options.limits.max_depth = 1;
  options.limits.max_pages = 3;
  CrawlSchedule schedule = schedule_of({seed("http://h.test/")}, options);
  report(schedule, take_pages(schedule).at(0),
         {"http://h.test/1", "http://h.test/2", "http://h.test/3"});
  const auto second = take_pages(schedule);
  ASSERT_EQ(second.size(), 2U);
  report(schedule, second[0], {"http://h.test/deep"});
  report(schedule, second[1], {});
  EXPECT_TRUE(schedule.is_finished());
  const CrawlCounts counts = schedule.counts();
  EXPECT_EQ(counts.too_deep, 1U);
  EXPECT_EQ(counts.not_started, 1U);
}

TEST(CrawlSchedule, StartsPagesAgainAfterALossAndTakesTheFirstReport) {
  CrawlSchedule schedule = schedule_of({seed("http://h.test/")});
  const auto first = take_pages(schedule);
  schedule.restart_in_flight();
  const auto restarted = schedule.next(kNow);
  ASSERT_TRUE(restarted.has_value());
  EXPECT_FALSE(restarted->is_first) << "listed in the manifest once";
  const std::vector<UrlRecord> again{restarted->record};
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0].id, first.at(0).id);
  report(schedule, again[0], {"http://h.test/a"});
  report(schedule, first[0], {"http://h.test/b"});  // the lost fetch was alive after all
  const auto links = take_pages(schedule);
  ASSERT_EQ(links.size(), 1U);
  EXPECT_EQ(links[0].url, "http://h.test/a");
  EXPECT_EQ(schedule.counts().restarts, 1U);
}

// robots.txt first: nothing starts before the host's rules are known; a denied URL is dropped
// and counted, an allowed one handed out; a Crawl-delay longer than --delay paces the host.
TEST(CrawlSchedule, AsksForRobotsFirstAndDropsWhatItDenies) {
  CrawlOptions options;
  options.limits.hosts_start_closed = true;
  CrawlSchedule schedule =
      schedule_of({seed("http://h.test/"), seed("http://h.test/private/x")}, options);
  const auto wanted = schedule.robots_wanted();
  ASSERT_EQ(wanted.size(), 1U);
  EXPECT_EQ(wanted[0].host, "h.test");
  EXPECT_EQ(wanted[0].url, "http://h.test/robots.txt");
  EXPECT_TRUE(take_pages(schedule).empty());
  schedule.take_robots(
      "h.test",
      crawl::RobotsRules::parse("User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n", "dupipe"),
      kNow);
  EXPECT_TRUE(take_pages(schedule).empty()) << "the Crawl-delay counts from the robots.txt";
  const auto first = schedule.next(kNow + std::chrono::seconds(2));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->record.url, "http://h.test/");
  report(schedule, first->record, {"http://h.test/private/y", "http://h.test/ok"});
  EXPECT_FALSE(schedule.next(kNow + std::chrono::seconds(3)).has_value()) << "2 s apart";
  // Both denied URLs are dropped without taking the host's turn; the allowed one starts.
  const auto later = schedule.next(kNow + std::chrono::seconds(4));
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->record.url, "http://h.test/ok");
  EXPECT_EQ(schedule.counts().robots, 2U);
  EXPECT_TRUE(schedule.robots_wanted().empty());
}

// The crawl's state for the report: each page handed out with its depth and the page that
// linked to it (none for a seed), and the not-fetched counts by reason, zero reasons left out.
TEST(CrawlSchedule, StatesEachPagesDepthAndOrigin) {
  CrawlOptions options;
  options.limits.max_depth = 1;
  CrawlSchedule schedule = schedule_of({seed("http://h.test/")}, options);
  const auto first = take_pages(schedule);
  report(schedule, first.at(0), {"http://h.test/a", "http://other.test/x"});
  const auto second = take_pages(schedule);
  report(schedule, second.at(0), {"http://h.test/deep"});
  const CrawlState state = schedule.state();
  ASSERT_EQ(state.pages.size(), 2U);
  EXPECT_EQ(state.pages.at("http://h.test/").depth, 0U);
  EXPECT_EQ(state.pages.at("http://h.test/").found_on, "");
  EXPECT_EQ(state.pages.at("http://h.test/a").depth, 1U);
  EXPECT_EQ(state.pages.at("http://h.test/a").found_on, "http://h.test/");
  EXPECT_EQ(state.not_fetched, (std::map<std::string, std::uint64_t>{{"depth", 1}, {"scope", 1}}));
  const auto read_back = to_json(state);
  EXPECT_NE(read_back.find("\"not_fetched\""), std::string::npos);
}

// A 429 or 503 (B record) holds the page's whole host for its wait; the page stays in flight,
// other hosts go on.
TEST(CrawlSchedule, HoldsTheHostOfABusyAnswerForItsWait) {
  CrawlSchedule schedule = schedule_of({seed("http://h.test/")});
  const auto seed_page = schedule.next(kNow);
  ASSERT_TRUE(seed_page);
  report(schedule, seed_page->record,
         {"http://h.test/a", "http://h.test/b", "http://h.test/busy", "http://h.test/c"});
  const auto pages = take_pages(schedule);
  ASSERT_EQ(pages.size(), 4U);  // per_host 4
  const UrlRecord busy = pages[2];
  report(schedule, pages[0], {"http://h.test/d"});
  ASSERT_TRUE(schedule.take("B\t" + busy.id + "\t60000").has_value());
  EXPECT_EQ(schedule.counts().busy, 1U);
  EXPECT_FALSE(schedule.next(crawl::Clock::now())) << "the host waits, though it has a free slot";
  EXPECT_TRUE(schedule.next(crawl::Clock::now() + std::chrono::seconds(61)));
  EXPECT_TRUE(schedule.holds(busy.id)) << "the busy page stays in flight: its fetcher retries it";
  EXPECT_TRUE(schedule.take("B\tunknown-page\t1000").has_value()) << "a page not held: ignored";
}

// A sitemap's URLs are seeds within the scope: depth 0, found on no page, counted apart.
TEST(CrawlSchedule, TakesTheUrlsOfASitemapAsSeedsWithinTheScope) {
  CrawlSchedule schedule = schedule_of({seed("http://h.test/")});
  EXPECT_EQ(schedule.take_sitemap_pages({"http://h.test/deep/page.html", "http://other.test/x",
                                         "http://h.test/", "http://h.test/deep/page.html"}),
            1U);
  const CrawlCounts counts = schedule.counts();
  EXPECT_EQ(counts.sitemap, 1U);
  EXPECT_EQ(counts.scope, 1U);
  const auto pages = take_pages(schedule);
  ASSERT_EQ(pages.size(), 2U);
  EXPECT_EQ(pages[1].url, "http://h.test/deep/page.html");
  EXPECT_EQ(schedule.frontier().depth_of("http://h.test/deep/page.html"), 0U);
}

TEST(CrawlSchedule, TrapPrefixIsTheHostAndFirstPathSegment) {
  EXPECT_EQ(trap_prefix("http://h.test/cal/2026/01.html"), "http://h.test/cal/");
  EXPECT_EQ(trap_prefix("http://h.test/cal/?m=1"), "http://h.test/cal/");
  EXPECT_EQ(trap_prefix("http://h.test/page.html?a/b"), "http://h.test/");
  EXPECT_EQ(trap_prefix("http://h.test/"), "http://h.test/");
  EXPECT_EQ(trap_prefix("http://h.test:8080"), "http://h.test:8080/");
}

void report_content(CrawlSchedule& schedule, const UrlRecord& page,
                    const std::vector<std::string>& links, const std::string& content) {
  for (const std::string& link : links) {
    ASSERT_TRUE(schedule.take("A\t" + page.id + "\t" + link).has_value());
  }
  ASSERT_TRUE(
      schedule.take("D\t" + page.id + "\t" + std::to_string(links.size()) + "\tfetched\t" + content)
          .has_value());
}

// Pages under /cal/ that keep repeating content already seen: with --trap-limit 2 the second
// repeat in a row is not expanded (its new links refused as duplicates), the prefix is reported;
// a page of new content resets the run.
TEST(CrawlSchedule, StopsFollowingAPrefixThatKeepsRepeatingContent) {
  CrawlOptions options;
  options.trap_limit = 2;
  CrawlSchedule schedule = schedule_of({seed("http://h.test/cal/0.html")}, options);
  auto pages = take_pages(schedule);
  report_content(schedule, pages[0], {"http://h.test/cal/1.html"}, "aaaaaaaaaaaaaaaa");
  pages = take_pages(schedule);
  report_content(schedule, pages[0], {"http://h.test/cal/2.html"}, "aaaaaaaaaaaaaaaa");
  pages = take_pages(schedule);
  ASSERT_EQ(pages.size(), 1U) << "one repeat in a row is followed";
  report_content(schedule, pages[0], {"http://h.test/cal/3.html", "http://h.test/cal/0.html"},
                 "aaaaaaaaaaaaaaaa");
  EXPECT_TRUE(take_pages(schedule).empty()) << "the second repeat in a row is not followed";
  EXPECT_TRUE(schedule.is_finished());
  const CrawlCounts counts = schedule.counts();
  EXPECT_EQ(counts.repeats, 2U);
  EXPECT_EQ(counts.duplicates, 1U) << "cal/3 only: cal/0 was known";
  const CrawlState state = schedule.state();
  EXPECT_EQ(state.not_fetched.at("duplicates"), 1U);
  EXPECT_EQ(state.likely_traps, (std::map<std::string, std::uint64_t>{{"http://h.test/cal/", 2}}));
}

TEST(CrawlSchedule, FollowsRepeatedContentWithoutATrapLimitAndResetsTheRunOnNewContent) {
  CrawlSchedule schedule = schedule_of({seed("http://h.test/cal/0.html")});
  auto pages = take_pages(schedule);
  report_content(schedule, pages[0], {"http://h.test/cal/1.html"}, "aaaaaaaaaaaaaaaa");
  for (int i = 1; i <= 3; ++i) {
    pages = take_pages(schedule);
    ASSERT_EQ(pages.size(), 1U);
    report_content(schedule, pages[0], {"http://h.test/cal/" + std::to_string(i + 1) + ".html"},
                   i == 2 ? "bbbbbbbbbbbbbbbb" : "aaaaaaaaaaaaaaaa");
  }
  EXPECT_EQ(take_pages(schedule).size(), 1U);
  EXPECT_EQ(schedule.counts().repeats, 2U);
  EXPECT_TRUE(schedule.state().likely_traps.empty()) << "two runs of one repeat: no trap";
}

TEST(CrawlSchedule, RefusesALineThatIsNotFeedback) {
  CrawlSchedule schedule = schedule_of({seed("http://h.test/")});
  const auto taken = schedule.take("U\tabc\thttp://h.test/");
  ASSERT_FALSE(taken.has_value());
  EXPECT_NE(taken.error().message.find("not a crawl feedback record"), std::string::npos);
  EXPECT_FALSE(schedule.take("D\tnope").has_value());
}

TEST(CrawlSchedule, RefusesAnAcceptPatternThatDoesNotCompile) {
  CrawlOptions options;
  options.scope.accept = "(";
  EXPECT_FALSE(CrawlSchedule::make(options, {seed("http://h.test/")}).has_value());
}

}  // namespace
}  // namespace dupipe::producer
