#include "supervisor/restart_budget.hpp"

#include <gtest/gtest.h>

#include "supervisor/link_writers.hpp"
#include "supervisor/pass_plan.hpp"

namespace dupipe::supervisor {
namespace {

TEST(RestartBudget, GrantsMaxRestartsWithinThePeriodThenRefuses) {
  RestartBudget budget({3, 10'000});
  EXPECT_TRUE(budget.try_spend("fetcher", 1000));
  EXPECT_TRUE(budget.try_spend("fetcher", 2000));
  EXPECT_TRUE(budget.try_spend("fetcher", 3000));
  EXPECT_FALSE(budget.try_spend("fetcher", 4000));
  EXPECT_EQ(budget.total(), 3u);
}

TEST(RestartBudget, ARestartLeavesTheWindowAfterThePeriodSoALongRunNeverRunsOut) {
  RestartBudget budget({2, 10'000});
  // One death every 6 s for an hour: never more than 2 within any 10 s.
  for (std::uint64_t t = 0; t < 3'600'000; t += 6000)
    ASSERT_TRUE(budget.try_spend("fetcher", t)) << t;
  EXPECT_EQ(budget.total(), 600u);
}

TEST(RestartBudget, ACrashLoopStopsAtTheFirstDeathPastTheIntensity) {
  RestartBudget budget({5, 10'000});
  std::uint64_t t = 0;
  int granted = 0;
  while (budget.try_spend("hasher", t) && granted < 100) {
    ++granted;
    t += restart_delay_ms(budget.recent("hasher", t) - 1);
  }
  EXPECT_EQ(granted, 5);
}

TEST(RestartBudget, CountsEachRoleApart) {
  RestartBudget budget({1, 10'000});
  EXPECT_TRUE(budget.try_spend("fetcher", 0));
  EXPECT_TRUE(budget.try_spend("hasher", 0));
  EXPECT_FALSE(budget.try_spend("fetcher", 1));
  EXPECT_EQ(budget.recent("hasher", 9999), 1u);
  EXPECT_EQ(budget.recent("hasher", 10'000), 0u);
}

TEST(RestartBudget, ZeroRestartsAllowedRefusesTheFirst) {
  RestartBudget budget({0, 10'000});
  EXPECT_FALSE(budget.try_spend("producer", 0));
}

TEST(RestartDelay, DoublesFrom100MsUpTo2Seconds) {
  const std::uint64_t expected[] = {100, 200, 400, 800, 1600, 2000, 2000};
  for (std::uint32_t recent = 0; recent < 7; ++recent)
    EXPECT_EQ(restart_delay_ms(recent), expected[recent]);
  EXPECT_EQ(restart_delay_ms(1000), 2000u);
}

TEST(LinkWriters, ReleasesALinkOnceWhenTheLastWriterOfEveryRoleFinished) {
  LinkWriters writers;
  writers.expect("shared", 1);  // role "first"
  writers.expect("shared", 2);  // role "second"
  EXPECT_TRUE(writers.finished({"shared"}).empty());
  EXPECT_TRUE(writers.finished({"shared"}).empty());
  EXPECT_EQ(writers.finished({"shared"}), std::vector<std::string>{"shared"});
  EXPECT_TRUE(writers.finished({"shared"}).empty()) << "released twice";
  EXPECT_EQ(writers.remaining("shared"), 0);
}

TEST(LinkWriters, AProcessWritingSeveralLinksReleasesEachOfThem) {
  LinkWriters writers;
  for (const char* link : {"sized.0", "sized.1"}) writers.expect(link, 1);
  EXPECT_EQ(writers.finished({"sized.0", "sized.1"}),
            (std::vector<std::string>{"sized.0", "sized.1"}));
}

TEST(LinkWriters, ALinkNobodyWritesIsNeverReleasedByAnother) {
  LinkWriters writers;
  writers.expect("urls", 1);
  EXPECT_TRUE(writers.finished({"paths"}).empty());
  EXPECT_EQ(writers.remaining("urls"), 1);
}

TEST(PassPlan, ReFeedsWhileIncompleteAndTheLastPassEndsTheRun) {
  const PassPlan plan(2);
  EXPECT_EQ(plan.last(), 3u);
  EXPECT_EQ(plan.next(1, false), 2u);
  EXPECT_EQ(plan.next(2, false), 3u);
  EXPECT_EQ(plan.next(3, false), std::nullopt);
  EXPECT_EQ(plan.next(1, true), std::nullopt);
  EXPECT_TRUE(PassPlan(0).is_last(1));
}

TEST(PassPlan, TheMarkNamesThePassAndWhatWasAccountedBeforeIt) {
  EXPECT_EQ(pass_mark(2, 420), "2 420\n");
}

// A producer restarted mid-crawl lists again what the dead one had listed: the re-feed list has
// each URL once (with a copy, the re-feed's producer rejected every second one as a repeat).
TEST(CrawlRefeedList, HasEachUrlOnceInItsFirstOrder) {
  const std::vector<std::string> manifest{
      "U\tid1\thttp://h.test/a",
      "U\tid2\thttp://h.test/b",
      "U\tid1\thttp://h.test/a",
      "F\tid3\tnot a url\tproducer\tseed line 2: not an http(s) URL",
      "torn U\t",
      "U\tid2\thttp://h.test/b"};
  EXPECT_EQ(refeed_list(manifest),
            (std::vector<std::string>{"http://h.test/a", "http://h.test/b", "not a url"}));
}

}  // namespace
}  // namespace dupipe::supervisor
