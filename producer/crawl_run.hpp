// The producer as a crawl's frontier (docs/CRAWL.md; the no-deadlock argument is in docs/IPC.md,
// "The crawl cycle"). It reads the seeds, then loops until the frontier is finished: it writes
// U records to the fetchers only while their link has room (a full link leaves the record in
// the producer's own backlog, never in a blocked write), and it reads the fetchers' feedback
// (A, D and B records) whenever there is any, so a fetcher that writes links back is never held by
// the producer. The loop sleeps in one poll of both links and the stop descriptor, bounded by
// the frontier's next politeness deadline. The end comes by counting: nothing queued (or the
// page limit reached) and no page in flight.
#pragma once

#include "common/base/logger.hpp"
#include "common/os/notice_signal.hpp"
#include "common/protocol/record_journal.hpp"
#include "common/transport/endpoint.hpp"
#include "producer/crawl_journal.hpp"
#include "producer/crawl_schedule.hpp"
#include "producer/robots_fetcher.hpp"

namespace dupipe::producer {

// Seeds are lines like a URL list's (blank lines and # comments skipped); a line that is not an
// http(s) URL becomes an F record, as in URL mode. `loss`, when given, is polled with the links:
// each notice (SIGUSR1, sent by the supervisor when a fetcher died) starts every page in flight
// again, since no one can tell which of them the dead fetcher held (CrawlChannels below).
// FatalError when the feedback link ends with pages in flight (every fetcher gone) or carries a
// record that cannot be trusted. `manifest`, when given, gets every U record (once per id) before
// it is first written: the aggregator's --manifest then tells whether everything the crawl handed
// out was accounted, so a record lost with a dead hasher is found and fetched again
// (docs/RECOVERY.md).
// At most kMaxSitemapsPerHost sitemaps are fetched per host, index files included.
inline constexpr std::size_t kMaxSitemapsPerHost = 20;
// `state_file`, when given, gets each page's depth and origin and the not-fetched counts
// (atomically) before run_crawl returns. `robots`, when given, fetches each new host's robots.txt
// (the schedule keeps the host closed until it is known: CrawlOptions limits.hosts_start_closed).
// `journal.journal`, when given, is the frontier's journal (crawl_journal.hpp): replayed first, so
// a restarted producer goes on where it stood, and appended to as the crawl goes.
struct CrawlChannels {
  NoticeSignal* loss = nullptr;
  RecordJournal* manifest = nullptr;
  RobotsFetcher* robots = nullptr;
  std::string state_file;  // gets the crawl's state (crawl_state.hpp) when the crawl ends
  JournalFiles journal;
  // With `robots`: false fetches no robots.txt (--ignore-robots); `sitemaps` fetches each host's
  // sitemaps (its robots.txt's Sitemap: lines and /sitemap.xml) and seeds the crawl from them.
  bool obeys_robots = true;
  bool sitemaps = false;
};

[[nodiscard]] CrawlCounts run_crawl(RecordReader& seeds, RecordWriter& output,
                                    RecordReader& feedback, const CrawlOptions& options,
                                    const Logger& logger, CrawlChannels channels = {});

}  // namespace dupipe::producer
