// The frontier's journal (docs/RECOVERY.md, "Crawl"), so that a producer killed in the middle of
// a crawl, restarted by the supervisor or by `--resume`, continues where it stood without
// fetching a settled page again. The producer appends, in the order it does them, every U record
// it wrote to the fetchers, every A, D and B record it took back, each host's robots.txt answer and
// each loss of the pages in flight; replaying those lines into a schedule made from the same
// seeds rebuilds the frontier exactly (depths, origins, counts, the page limit). What a killed
// producer had read but not yet journalled is in the fetchers' own journal (each fetcher appends
// a page's A, D and B records there before it sends them), which settles the pages it still holds.
// Lines are protocol records, or JSON objects for the events ({"run":...}, {"lost":true},
// {"robots":...}). Cost: about the feedback's own size again on disk; nothing more in memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/protocol/record_journal.hpp"
#include "producer/crawl_schedule.hpp"
#include "producer/robots_fetcher.hpp"

namespace dupipe::producer {

struct JournalFiles {
  std::string journal;    // the producer's own (--crawl-journal)
  std::string feedback;   // the fetchers' (their --links-journal); empty: none
  std::string launch_id;  // this launch's: a page in flight in another launch has no fetcher left
};

// What opening the journal did, for the log.
struct Replay {
  std::uint64_t lines = 0;      // journal lines replayed
  std::uint64_t recovered = 0;  // pages settled from the fetchers' journal
  std::uint64_t requeued = 0;   // pages in flight in an earlier run: fetched again
  std::uint64_t awaited = 0;    // pages in flight in this run: their fetchers still report them
};

class CrawlJournal {
 public:
  // Opens (creating) the journal and replays it into `schedule` (made from the seeds, nothing
  // taken yet), settles from the fetchers' journal every page still held, starts again the pages
  // an earlier run held, and marks the start of this run. FatalError naming the file on a line
  // it cannot take.
  static CrawlJournal open(const JournalFiles& files, CrawlSchedule& schedule, Replay& replay);

  void handed_out(std::string_view record_line) { journal_.append(record_line); }
  void took(std::string_view feedback_line) { journal_.append(feedback_line); }
  void lost();
  void robots(const RobotsAnswer& answer);
  void sitemap_pages(const std::vector<std::string>& urls);
  // Settles the held page `page_id`, whose D record came torn, from its last complete report in
  // the fetchers' journal (journalled here too). False when that journal has none.
  [[nodiscard]] bool recover(CrawlSchedule& schedule, const std::string& page_id);

 private:
  CrawlJournal(RecordJournal journal, std::string feedback)
      : journal_(std::move(journal)), feedback_(std::move(feedback)) {}
  // Settles from the fetchers' journal the held pages `wanted` accepts; returns how many.
  template <typename Wanted>
  std::uint64_t recover_held(CrawlSchedule& schedule, const Wanted& wanted);

  RecordJournal journal_;
  std::string feedback_;
};

}  // namespace dupipe::producer
