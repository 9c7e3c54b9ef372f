// The crawl frontier: each key fetched once, depths that are shortest link distances whatever
// order pages finish in, and a schedule that keeps per-host caps, delays and Retry-After.
#include "crawl/frontier.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace dupipe::crawl {
namespace {

using namespace std::chrono_literals;

FoundUrl site(const std::string& path, const std::string& host = "h.test") {
  const std::string url = "http://" + host + path;
  return FoundUrl{url, url};
}

FrontierLimits limits_of(std::uint32_t per_host, std::uint32_t max_depth = 5) {
  FrontierLimits limits;
  limits.per_host = per_host;
  limits.max_depth = max_depth;
  return limits;
}

const Clock::time_point kStart{};

// Takes every URL that may start now, in order.
std::vector<Assignment> take_all(Frontier& frontier, Clock::time_point now = kStart) {
  std::vector<Assignment> taken;
  while (auto next = frontier.next(now)) taken.push_back(*next);
  return taken;
}

TEST(FrontierHost, IsTheAuthorityWithoutUserInformation) {
  EXPECT_EQ(host_of_key("http://h.test/a"), "h.test");
  EXPECT_EQ(host_of_key("http://h.test:8080"), "h.test:8080");
  EXPECT_EQ(host_of_key("https://u:p@h.test/x?y"), "h.test");
  EXPECT_EQ(host_of_key("http://[::1]:80/"), "[::1]:80");
}

TEST(Frontier, FetchesEachKeyOnceAndEndsWhenNothingIsLeft) {
  Frontier frontier(limits_of(8));
  EXPECT_EQ(frontier.add_seed(site("/")), Admission::kQueued);
  EXPECT_EQ(frontier.add_seed(site("/")), Admission::kKnown);
  auto first = take_all(frontier);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(frontier.is_finished());
  const auto admissions =
      frontier.finished(first[0].key, {site("/a"), site("/b"), site("/a"), site("/")});
  EXPECT_EQ(admissions, (std::vector<Admission>{Admission::kQueued, Admission::kQueued,
                                                Admission::kKnown, Admission::kKnown}));
  const auto second = take_all(frontier);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].depth, 1u);
  EXPECT_EQ(second[0].found_on, "http://h.test/");
  for (const Assignment& a : second) (void)frontier.finished(a.key, {site("/")});
  EXPECT_TRUE(frontier.is_finished());
  EXPECT_EQ(frontier.started(), 3u);
}

// The slow page: S links A and B; B links C, C links X; A, which answers last, links X
// too. A greedy crawler gives X depth 3 (and its links 4); the shortest distance is 2.
TEST(Frontier, DepthIsTheShortestLinkDistanceWhateverOrderPagesFinishIn) {
  Frontier frontier(limits_of(8));
  frontier.add_seed(site("/s"));
  const auto s = take_all(frontier);
  (void)frontier.finished(s[0].key, {site("/a"), site("/b")});
  const auto level1 = take_all(frontier);  // a and b in flight; b finishes first
  ASSERT_EQ(level1.size(), 2u);
  (void)frontier.finished(site("/b").key, {site("/c")});
  (void)frontier.finished(take_all(frontier).at(0).key, {site("/x")});  // c
  const auto x = take_all(frontier);
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0].depth, 3u);
  (void)frontier.finished(x[0].key, {site("/y")});  // y queued at 4
  EXPECT_EQ(frontier.depth_of(site("/y").key), 4u);
  (void)frontier.finished(site("/a").key, {site("/x")});  // the slow page: x is at distance 2
  EXPECT_EQ(frontier.depth_of(site("/x").key), 2u);
  EXPECT_EQ(frontier.found_on(site("/x").key), site("/a").key);
  EXPECT_EQ(frontier.depth_of(site("/y").key), 3u);  // flowed down x's links
  const auto y = take_all(frontier);
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].depth, 3u);
}

// Beyond max_depth a URL is remembered, not dropped: a shorter path found later admits it.
TEST(Frontier, AUrlTooDeepByOnePathIsFetchedWhenAShorterOneTurnsUp) {
  Frontier frontier(limits_of(8, 2));
  frontier.add_seed(site("/s"));
  (void)frontier.finished(take_all(frontier).at(0).key, {site("/a"), site("/b")});
  (void)take_all(frontier);
  (void)frontier.finished(site("/b").key, {site("/c")});
  const auto c = take_all(frontier);  // depth 2, the limit
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(frontier.finished(c[0].key, {site("/x")}),
            (std::vector<Admission>{Admission::kTooDeep}));
  EXPECT_EQ(frontier.too_deep(), 1u);
  EXPECT_TRUE(take_all(frontier).empty());
  (void)frontier.finished(site("/a").key, {site("/x")});  // x at depth 2 after all
  EXPECT_EQ(frontier.too_deep(), 0u);
  const auto x = take_all(frontier);
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0].key, site("/x").key);
  EXPECT_EQ(x[0].depth, 2u);
  (void)frontier.finished(x[0].key, {});
  EXPECT_TRUE(frontier.is_finished());
}

TEST(Frontier, ADepthLoweredWhileInFlightCountsForItsLinks) {
  Frontier frontier(limits_of(8));
  frontier.add_seed(site("/s"));
  (void)frontier.finished(take_all(frontier).at(0).key, {site("/a"), site("/b")});
  (void)take_all(frontier);
  (void)frontier.finished(site("/b").key, {site("/c")});
  (void)frontier.finished(take_all(frontier).at(0).key, {site("/x")});  // x at 3
  ASSERT_EQ(take_all(frontier).size(), 1u);                             // x in flight
  (void)frontier.finished(site("/a").key, {site("/x")});                // x now at 2
  (void)frontier.finished(site("/x").key, {site("/y")});
  EXPECT_EQ(frontier.depth_of(site("/y").key), 3u);
}

TEST(Frontier, HandsOutTheShallowestUrlFirstAcrossHosts) {
  Frontier frontier(limits_of(1));
  frontier.add_seed(site("/s", "one.test"));
  frontier.add_seed(site("/s", "two.test"));
  auto seeds = take_all(frontier);
  ASSERT_EQ(seeds.size(), 2u);
  (void)frontier.finished(seeds[0].key, {site("/deep1", host_of_key(seeds[0].key))});
  (void)frontier.finished(seeds[1].key, {});
  frontier.add_seed(site("/later", "three.test"));
  const auto next = take_all(frontier);
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0].depth, 0u);  // the seed of three.test before one.test's depth-1 page
  EXPECT_EQ(next[1].depth, 1u);
}

TEST(Frontier, KeepsThePerHostCapForTheWholeRun) {
  Frontier frontier(limits_of(2));
  for (const char* path : {"/1", "/2", "/3", "/4"}) frontier.add_seed(site(path));
  frontier.add_seed(site("/1", "other.test"));
  auto first = take_all(frontier);
  ASSERT_EQ(first.size(), 3u);  // two of h.test, one of other.test
  std::map<std::string, int> per_host;
  for (const Assignment& a : first) ++per_host[host_of_key(a.key)];
  EXPECT_EQ(per_host["h.test"], 2);
  EXPECT_EQ(frontier.wake_at(), std::nullopt);  // h.test is at its cap: only a finish helps
  (void)frontier.finished(first[0].key, {});
  EXPECT_EQ(take_all(frontier).size(), 1u);
}

TEST(Frontier, LeavesTheDelayBetweenTwoStartsOnAHost) {
  FrontierLimits limits = limits_of(4);
  limits.delay = 100ms;
  Frontier frontier(limits);
  for (const char* path : {"/1", "/2", "/3"}) frontier.add_seed(site(path));
  ASSERT_EQ(take_all(frontier, kStart).size(), 1u);
  EXPECT_EQ(frontier.wake_at(), kStart + 100ms);
  EXPECT_TRUE(take_all(frontier, kStart + 99ms).empty());
  EXPECT_EQ(take_all(frontier, kStart + 100ms).size(), 1u);
  EXPECT_EQ(take_all(frontier, kStart + 250ms).size(), 1u);
}

// A 503 with Retry-After: 2 holds the page's host (its page stays in flight: its fetcher retries
// it); another host goes on.
TEST(Frontier, ABusyAnswerHoldsItsHostForItsWait) {
  Frontier frontier(limits_of(4));
  frontier.add_seed(site("/busy"));
  frontier.add_seed(site("/x", "other.test"));
  const auto first = take_all(frontier);
  ASSERT_EQ(first.size(), 2u);
  frontier.add_seed(site("/next"));
  frontier.add_seed(site("/y", "other.test"));
  frontier.hold_host(site("/busy").key, kStart + 10ms, 2s);
  EXPECT_EQ(frontier.in_flight(), 2u);
  const auto meanwhile = take_all(frontier, kStart + 1s);
  ASSERT_EQ(meanwhile.size(), 1u);
  EXPECT_EQ(meanwhile[0].key, site("/y", "other.test").key);
  EXPECT_EQ(frontier.wake_at(), kStart + 10ms + 2s);
  const auto again = take_all(frontier, kStart + 10ms + 2s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].key, site("/next").key);
}

TEST(Frontier, StopsHandingOutAtMaxPages) {
  FrontierLimits limits = limits_of(8);
  limits.max_pages = 3;
  Frontier frontier(limits);
  for (int i = 0; i < 10; ++i) frontier.add_seed(site("/" + std::to_string(i)));
  const auto started = take_all(frontier);
  EXPECT_EQ(started.size(), 3u);
  EXPECT_EQ(frontier.queued(), 7u);
  EXPECT_EQ(frontier.wake_at(), std::nullopt);
  EXPECT_FALSE(frontier.is_finished());
  for (const Assignment& page : started) (void)frontier.finished(page.key, {});
  // The limit is reached and nothing is in flight: the crawl is over with 7 never started.
  EXPECT_TRUE(frontier.is_finished());
}

TEST(Frontier, StartsTheInFlightPagesAgainAfterALoss) {
  FrontierLimits limits = limits_of(8);
  limits.max_pages = 2;
  Frontier frontier(limits);
  frontier.add_seed(site("/a"));
  frontier.add_seed(site("/b"));
  const auto first = take_all(frontier);
  ASSERT_EQ(first.size(), 2u);
  (void)frontier.finished(first[0].key, {});
  frontier.restart_in_flight();
  EXPECT_EQ(frontier.in_flight(), 0u);
  // The lost page starts again, within max_pages: the lost start did not count.
  const auto again = take_all(frontier);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].key, first[1].key);
  // The first start's late report is the page's; the second's is then ignored.
  (void)frontier.finished(first[1].key, {});
  EXPECT_TRUE(frontier.is_finished());
  EXPECT_TRUE(frontier.finished(first[1].key, {site("/c")}).empty());
  EXPECT_EQ(frontier.queued(), 0u);
}

// The lost fetch reports while its page waits to start again: the page is settled there and
// never fetched twice.
TEST(Frontier, SettlesARestartedPageThatReportsBeforeItStartsAgain) {
  Frontier frontier(limits_of(8));
  frontier.add_seed(site("/a"));
  const auto first = take_all(frontier);
  ASSERT_EQ(first.size(), 1u);
  frontier.restart_in_flight();
  EXPECT_EQ(frontier.queued(), 1u);
  const auto admissions = frontier.finished(first[0].key, {site("/b")});
  ASSERT_EQ(admissions.size(), 1u);
  EXPECT_EQ(admissions[0], Admission::kQueued);
  const auto next = take_all(frontier);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].key, site("/b").key);
  EXPECT_EQ(frontier.started(), 2u);
  (void)frontier.finished(next[0].key, {});
  EXPECT_TRUE(frontier.is_finished());
}

// With hosts_start_closed a host starts nothing until it is opened (its robots.txt known), each
// new host is announced once, the first start waits the delay after the opening, and a dropped
// URL (denied) is settled without counting against max_pages.
TEST(Frontier, StartsAClosedHostOnlyOnceOpenedAndDropsWithoutCounting) {
  FrontierLimits limits = limits_of(8);
  limits.hosts_start_closed = true;
  limits.max_pages = 2;
  Frontier frontier(limits);
  frontier.add_seed(site("/a"));
  frontier.add_seed(site("/b"));
  frontier.add_seed(site("/c", "other.test"));
  const auto hosts = frontier.take_new_hosts();
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0].host, "h.test");
  EXPECT_EQ(hosts[0].first_key, site("/a").key);
  EXPECT_EQ(hosts[1].host, "other.test");
  EXPECT_TRUE(frontier.take_new_hosts().empty());
  EXPECT_TRUE(take_all(frontier).empty());
  EXPECT_FALSE(frontier.wake_at().has_value()) << "a closed host has no start time";
  EXPECT_FALSE(frontier.is_finished());

  frontier.open_host("h.test", std::chrono::milliseconds(100), kStart);
  EXPECT_TRUE(take_all(frontier).empty()) << "the robots.txt request was a start";
  const auto first = take_all(frontier, kStart + std::chrono::milliseconds(100));
  ASSERT_EQ(first.size(), 1u);
  frontier.drop(first[0].key);
  EXPECT_EQ(frontier.started(), 0u);
  EXPECT_EQ(frontier.in_flight(), 0u);
  const auto second = take_all(frontier, kStart + std::chrono::milliseconds(200));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].key, site("/b").key);
  frontier.open_host("other.test", std::chrono::milliseconds(0), kStart);
  (void)frontier.finished(second[0].key, {});
  ASSERT_EQ(take_all(frontier, kStart + std::chrono::milliseconds(200)).size(), 1u);
  EXPECT_TRUE(frontier.is_at_page_limit());
}

// A long chain whose head gets a shorter path at the end: the lowering walks the whole chain
// without recursion, and every depth is right.
TEST(Frontier, LowersALongChainOfFetchedPages) {
  Frontier frontier(limits_of(8, 100'000));
  frontier.add_seed(site("/s"));
  (void)frontier.finished(take_all(frontier).at(0).key, {site("/slow", "slow.test"), site("/c0")});
  ASSERT_EQ(take_all(frontier).size(), 2u);  // /slow stays in flight until the end
  constexpr int kLength = 50'000;
  for (int i = 0; i < kLength; ++i) {
    (void)frontier.finished(site("/c" + std::to_string(i)).key,
                            {site("/c" + std::to_string(i + 1))});
    ASSERT_EQ(take_all(frontier).size(), 1u);
  }
  EXPECT_EQ(frontier.depth_of(site("/c50000").key), 50'001u);              // c_i at i + 1
  (void)frontier.finished(site("/slow", "slow.test").key, {site("/c2")});  // c2: 3 -> 2
  EXPECT_EQ(frontier.depth_of(site("/c2").key), 2u);
  EXPECT_EQ(frontier.found_on(site("/c2").key), site("/slow", "slow.test").key);
  EXPECT_EQ(frontier.depth_of(site("/c49999").key), 49'999u);
  EXPECT_EQ(frontier.depth_of(site("/c50000").key), 50'000u);  // in flight: its links will use it
}

}  // namespace
}  // namespace dupipe::crawl
