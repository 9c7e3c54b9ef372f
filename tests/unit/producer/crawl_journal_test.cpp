// The frontier's journal: a schedule rebuilt from the seeds and the journal stands where the
// killed producer stood (settled pages not handed out again, depths and counts the same); pages
// in flight are awaited in the same run and started again in another; what the killed producer
// had read but not journalled comes from the fetchers' journal, also for a report torn in two;
// a host's robots.txt answer is not asked for again.
#include "producer/crawl_journal.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/protocol/record_id.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::producer {
namespace {

using testing::read_file;
using testing::TempDir;

crawl::FoundUrl journal_seed(const std::string& url) { return crawl::FoundUrl{url, url}; }

CrawlSchedule journal_schedule(bool robots_first = false) {
  CrawlOptions options;
  options.limits.hosts_start_closed = robots_first;
  auto made = CrawlSchedule::make(options, {journal_seed("http://h.test/")});
  if (!made) throw std::runtime_error(made.error().message);
  return std::move(*made);
}

std::string journal_u_line(const std::string& url) {
  return "U\t" + make_record_id(url) + "\t" + url;
}

std::vector<std::string> journal_report(const std::string& url,
                                        const std::vector<std::string>& links) {
  std::vector<std::string> lines;
  const std::string id = make_record_id(url);
  for (const std::string& link : links) lines.push_back("A\t" + id + "\t" + link);
  lines.push_back("D\t" + id + "\t" + std::to_string(links.size()) + "\tfetched");
  return lines;
}

// The crawl loop's part: each page handed out is journalled, each report line taken and
// journalled.
struct JournalledProducer {
  CrawlSchedule schedule;
  CrawlJournal journal;
  Replay replay;

  static JournalledProducer open(const JournalFiles& files, bool robots_first = false) {
    CrawlSchedule schedule = journal_schedule(robots_first);
    Replay replay;
    CrawlJournal journal = CrawlJournal::open(files, schedule, replay);
    return JournalledProducer{std::move(schedule), std::move(journal), replay};
  }

  std::vector<std::string> hand_out() {
    std::vector<std::string> urls;
    while (auto page = schedule.next(crawl::Clock::now())) {
      journal.handed_out(journal_u_line(page->record.url));
      urls.push_back(page->record.url);
    }
    return urls;
  }

  void report(const std::string& url, const std::vector<std::string>& links) {
    for (const std::string& line : journal_report(url, links)) {
      const auto taken = schedule.take(line);
      ASSERT_TRUE(taken && !taken->torn_page) << line;
      journal.took(line);
    }
  }
};

struct JournalFixture {
  TempDir dir;
  JournalFiles of(const std::string& run) const {
    return JournalFiles{dir.file("crawl.journal"), dir.file("found.journal"), run};
  }
  void fetchers_sent(const std::vector<std::string>& lines) const {
    RecordJournal fetchers = RecordJournal::open(dir.file("found.journal"));
    for (const std::string& line : lines) fetchers.append(line);
  }
};

// Seed fetched with links a and b, both handed out, a reported with link c; b still in flight.
void journal_until_killed(const JournalFixture& files) {
  JournalledProducer first = JournalledProducer::open(files.of("run-1"));
  ASSERT_EQ(first.hand_out(), std::vector<std::string>{"http://h.test/"});
  first.report("http://h.test/", {"http://h.test/a", "http://h.test/b"});
  ASSERT_EQ(first.hand_out(), (std::vector<std::string>{"http://h.test/a", "http://h.test/b"}));
  first.report("http://h.test/a", {"http://h.test/c"});
}

TEST(CrawlJournal, AFreshJournalReplaysNothing) {
  const JournalFixture files;
  const JournalledProducer producer = JournalledProducer::open(files.of("run-1"));
  EXPECT_EQ(producer.replay.lines, 0U);
  EXPECT_NE(read_file(files.of("").journal).find("{\"run\":\"run-1\"}"), std::string::npos);
}

TEST(CrawlJournal, TheSameRunAwaitsItsPagesInFlightAndHandsOutOnlyWhatWasNeverStarted) {
  const JournalFixture files;
  journal_until_killed(files);
  JournalledProducer again = JournalledProducer::open(files.of("run-1"));
  EXPECT_EQ(again.replay.awaited, 1U);
  EXPECT_EQ(again.replay.requeued, 0U);
  EXPECT_EQ(again.schedule.counts().fetched, 2U);
  EXPECT_TRUE(again.schedule.holds(make_record_id("http://h.test/b")));
  EXPECT_EQ(again.hand_out(), std::vector<std::string>{"http://h.test/c"})
      << "the seed and a are settled, b is still a fetcher's";
  again.report("http://h.test/b", {});
  again.report("http://h.test/c", {"http://h.test/"});
  EXPECT_TRUE(again.schedule.is_finished());
  const CrawlState state = again.schedule.state();
  EXPECT_EQ(state.pages.at("http://h.test/c").depth, 2U);
  EXPECT_EQ(state.pages.at("http://h.test/c").found_on, "http://h.test/a");
}

TEST(CrawlJournal, AnotherRunStartsThePagesInFlightAgain) {
  const JournalFixture files;
  journal_until_killed(files);
  JournalledProducer again = JournalledProducer::open(files.of("run-2"));
  EXPECT_EQ(again.replay.requeued, 1U);
  EXPECT_EQ(again.replay.awaited, 0U);
  EXPECT_EQ(again.hand_out(), (std::vector<std::string>{"http://h.test/b", "http://h.test/c"}))
      << "b, at depth 1, before c";
  // A third start (of run 2) replays the loss too: nothing in flight is handed out twice.
  JournalledProducer third = JournalledProducer::open(files.of("run-2"));
  EXPECT_EQ(third.replay.awaited, 2U);
  EXPECT_TRUE(third.hand_out().empty());
}

TEST(CrawlJournal, SettlesFromTheFetchersJournalWhatTheKilledProducerNeverJournalled) {
  const JournalFixture files;
  journal_until_killed(files);
  files.fetchers_sent(journal_report("http://h.test/b", {"http://h.test/d"}));
  JournalledProducer again = JournalledProducer::open(files.of("run-2"));
  EXPECT_EQ(again.replay.recovered, 1U);
  EXPECT_EQ(again.replay.requeued, 0U);
  EXPECT_FALSE(again.schedule.holds(make_record_id("http://h.test/b")));
  EXPECT_EQ(again.hand_out(), (std::vector<std::string>{"http://h.test/c", "http://h.test/d"}));
  // Taken into the producer's own journal: the next replay needs no fetchers' journal for it.
  std::filesystem::remove(files.of("").feedback);
  JournalledProducer third = JournalledProducer::open(files.of("run-3"));
  EXPECT_EQ(third.schedule.counts().fetched, 3U);
  EXPECT_EQ(third.replay.requeued, 2U) << "c and d were in flight";
}

TEST(CrawlJournal, ATornReportIsSettledFromTheFetchersJournal) {
  const JournalFixture files;
  journal_until_killed(files);
  JournalledProducer again = JournalledProducer::open(files.of("run-1"));
  // b's report: its first link was read (and lost) by the killed producer; the rest comes live.
  const auto full = journal_report("http://h.test/b", {"http://h.test/x", "http://h.test/y"});
  files.fetchers_sent(full);
  ASSERT_TRUE(again.schedule.take(full[1]).has_value());
  const auto torn = again.schedule.take(full[2]);
  ASSERT_TRUE(torn.has_value());
  ASSERT_TRUE(torn->torn_page);
  EXPECT_EQ(*torn->torn_page, make_record_id("http://h.test/b"));
  EXPECT_TRUE(again.schedule.holds(*torn->torn_page));
  ASSERT_TRUE(again.journal.recover(again.schedule, *torn->torn_page));
  EXPECT_FALSE(again.schedule.holds(*torn->torn_page));
  const auto urls = again.hand_out();
  EXPECT_EQ(urls,
            (std::vector<std::string>{"http://h.test/c", "http://h.test/x", "http://h.test/y"}));
}

TEST(CrawlJournal, ATornReportWithNothingInTheFetchersJournalIsNotRecovered) {
  const JournalFixture files;
  journal_until_killed(files);
  JournalledProducer again = JournalledProducer::open(files.of("run-1"));
  const auto torn = again.schedule.take(journal_report("http://h.test/b", {"http://h.test/x"})[1]);
  ASSERT_TRUE(torn && torn->torn_page);
  EXPECT_FALSE(again.journal.recover(again.schedule, *torn->torn_page));
}

TEST(CrawlJournal, AHostsRobotsAnswerIsReplayedNotAskedAgain) {
  const JournalFixture files;
  {
    JournalledProducer first = JournalledProducer::open(files.of("run-1"), true);
    ASSERT_EQ(first.schedule.robots_wanted().size(), 1U);
    RobotsAnswer answer{
        "h.test", "http://h.test/robots.txt",           crawl::RobotsRules::allow_all(), "",
        200,      "User-agent: *\nDisallow: /private\n"};
    first.journal.robots(answer);
    first.schedule.take_robots(
        "h.test", crawl::RobotsRules::for_status(200, answer.body, RobotsFetcher::kProductToken),
        crawl::Clock::now());
    ASSERT_EQ(first.hand_out(), std::vector<std::string>{"http://h.test/"});
  }
  JournalledProducer again = JournalledProducer::open(files.of("run-1"), true);
  EXPECT_TRUE(again.schedule.robots_wanted().empty());
  again.report("http://h.test/", {"http://h.test/private/x", "http://h.test/public"});
  EXPECT_EQ(again.hand_out(), std::vector<std::string>{"http://h.test/public"});
  EXPECT_EQ(again.schedule.counts().robots, 1U);
}

TEST(CrawlJournal, ALineItCannotTakeStopsTheProducerNamingTheJournal) {
  const JournalFixture files;
  {
    RecordJournal journal = RecordJournal::open(files.of("").journal);
    journal.append("{\"run\":\"run-1\"}");
    journal.append("{\"mystery\":1}");
  }
  CrawlSchedule schedule = journal_schedule();
  Replay replay;
  try {
    (void)CrawlJournal::open(files.of("run-1"), schedule, replay);
    FAIL() << "a journal line of an unknown event was taken";
  } catch (const FatalError& error) {
    EXPECT_NE(std::string(error.what()).find("crawl.journal, line 2"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace dupipe::producer
