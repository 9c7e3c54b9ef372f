// The crawl as the producer keeps it (docs/CRAWL.md): the seeds go into the frontier, the frontier
// hands out U records when the politeness rules let a page start, and the fetchers' feedback
// (A, D and B records, docs/PROTOCOL.md) settles pages and brings their links, which pass the trap
// limits and the scope before the frontier takes them at the page's depth + 1. No I/O: the
// producer's loop (crawl_run.hpp) moves the records. Single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/base/error.hpp"
#include "common/base/logger.hpp"
#include "common/protocol/crawl_state.hpp"
#include "common/protocol/records.hpp"
#include "crawl/frontier.hpp"
#include "crawl/page_assembler.hpp"
#include "crawl/robots_rules.hpp"
#include "crawl/scope.hpp"

namespace dupipe::producer {

struct CrawlOptions {
  crawl::FrontierLimits limits;  // limits.hosts_start_closed: robots.txt first (the default)
  crawl::ScopeOptions scope;
  // --trap-limit: after this many pages in a row under one path prefix whose content was already
  // seen, such pages' links are not followed; 0: followed (the prefix is still reported).
  std::uint64_t trap_limit = 0;
};

// A prefix is reported as a likely trap after this many repeated pages in a row (or --trap-limit's
// number, when that is smaller).
inline constexpr std::uint64_t kLikelyTrapRun = 5;

// The path prefix a page counts under for traps: its scheme, host and first path segment
// ("http://h/cal/" for http://h/cal/2026/01.html), or the host's root for a page directly in it.
[[nodiscard]] std::string trap_prefix(std::string_view key);

// A page handed to the fetchers; is_first is false when it starts again after a loss.
struct Handout {
  UrlRecord record;
  bool is_first = true;
};

// A host whose robots.txt the crawl needs before it may ask the host anything else.
struct RobotsWanted {
  std::string host;  // the politeness unit (host:port)
  std::string url;   // SCHEME://HOST/robots.txt
};

// What take() made of a feedback line. torn_page names a page in flight whose D record came
// with fewer of its links than it counts: the first of them were read by a producer killed before
// it journalled them, so they are in the fetchers' journal only (docs/RECOVERY.md, "Crawl").
struct Taken {
  std::optional<std::string> torn_page;
};

// Distinct URLs, each counted once under one heading.
struct CrawlCounts {
  std::uint64_t seeds = 0;        // seeds taken into the frontier
  std::uint64_t fetched = 0;      // pages settled as fetched
  std::uint64_t failed = 0;       // pages settled as failed (their F record went downstream)
  std::uint64_t found = 0;        // links to URLs new to the crawl, queued for fetching
  std::uint64_t scope = 0;        // found, outside the crawl's hosts or above --no-parent
  std::uint64_t filter = 0;       // found, refused by --accept / --reject
  std::uint64_t trap = 0;         // found, over a trap limit (length, segments, repeats)
  std::uint64_t too_deep = 0;     // found, beyond --depth on every path known
  std::uint64_t robots = 0;       // handed out, and denied by the host's robots.txt
  std::uint64_t not_started = 0;  // queued when --max-pages was reached
  std::uint64_t restarts = 0;     // times the pages in flight were started again (a fetcher died)
  std::uint64_t busy = 0;         // 429 and 503 answers: their host held back (B records)
  std::uint64_t sitemap = 0;      // URLs new to the crawl that a sitemap listed (--sitemaps)
  std::uint64_t duplicates = 0;   // found only on pages past --trap-limit: not followed
  std::uint64_t repeats = 0;      // pages whose content an earlier page had
};

// "12 pages fetched, 1 failed; 40 links to new URLs; not followed: 3 out of scope, ..." for the
// log.
[[nodiscard]] std::string describe(const CrawlCounts& counts);

class CrawlSchedule {
 public:
  // The seeds with their keys (url_key). An Error naming the option when the scope cannot be
  // built (a bad regular expression).
  [[nodiscard]] static Expected<CrawlSchedule> make(const CrawlOptions& options,
                                                    const std::vector<crawl::FoundUrl>& seeds);

  // The U record of the next page that may start at `now`, or nullopt (see wake_at()).
  [[nodiscard]] std::optional<Handout> next(crawl::Clock::time_point now);
  [[nodiscard]] std::optional<crawl::Clock::time_point> wake_at() const {
    return frontier_.wake_at();
  }

  // One line of the feedback link. An Error when the link cannot be trusted (not a feedback
  // record); a D of a page not in flight (reported twice after a restart) is ignored, also when
  // its links did not all arrive; a D of a page in flight whose links did not all arrive is
  // Taken::torn_page (the page stays in flight).
  [[nodiscard]] Expected<Taken> take(std::string_view line);
  // A journalled U record: its page is in flight again, as when it was handed out (the journal of
  // a producer that was killed is replayed). False when the page is not queued.
  bool resume_handout(const UrlRecord& record);
  // The U record of every page handed out so far, each once.
  [[nodiscard]] std::vector<UrlRecord> handed_out() const;
  // True while the page with this U record id is handed out and not settled.
  [[nodiscard]] bool holds(const std::string& page_id) const {
    return in_flight_.count(page_id) != 0;
  }
  // Hosts first seen since the last call whose rules are not known yet, each once: fetch their
  // robots.txt, then take_robots().
  [[nodiscard]] std::vector<RobotsWanted> robots_wanted();
  // A host's robots.txt is known: its pages may start, at its Crawl-delay (or the run's --delay,
  // whichever is longer), and those it disallows are dropped unfetched (counted as `robots`).
  void take_robots(const std::string& host, crawl::RobotsRules rules, crawl::Clock::time_point now);

  // URLs a sitemap of the crawl's hosts lists: taken as seeds (depth 0, found on no page) once
  // they pass the trap limits and the scope, as a found link would. How many were new.
  std::uint64_t take_sitemap_pages(const std::vector<std::string>& urls);

  // A fetcher died: what it held is unknown, so every page in flight starts again.
  void restart_in_flight();

  [[nodiscard]] bool is_finished() const { return frontier_.is_finished(); }
  [[nodiscard]] const crawl::Frontier& frontier() const { return frontier_; }
  [[nodiscard]] CrawlCounts counts() const;
  // Every page handed out with its depth and the page it was found on, and what was found and
  // not fetched, by reason: the crawl's part of the report.
  [[nodiscard]] CrawlState state() const;

 private:
  CrawlSchedule(crawl::Frontier frontier, crawl::Scope scope, std::chrono::milliseconds delay,
                std::uint64_t trap_limit)
      : frontier_(std::move(frontier)),
        scope_(std::move(scope)),
        delay_(delay),
        trap_limit_(trap_limit) {}
  // Notes a fetched page's content; true when its links are not to be followed (--trap-limit).
  bool is_trapped(const std::string& key, const std::string& content);
  // Refuses, as `duplicates`, the links no one else has found.
  void refuse_new(const std::vector<crawl::FoundUrl>& links);
  [[nodiscard]] bool is_denied(const std::string& key) const;
  [[nodiscard]] Expected<Taken> settle(const PageDoneRecord& done);
  [[nodiscard]] std::vector<crawl::FoundUrl> admissible(const std::vector<std::string>& links);
  // Counts a refused key once, under `reason`.
  void refuse(const std::string& key, std::string_view reason);

  crawl::Frontier frontier_;
  crawl::Scope scope_;
  std::chrono::milliseconds delay_;  // --delay: the least pause, whatever a Crawl-delay says
  crawl::PageAssembler pages_;
  std::unordered_map<std::string, crawl::RobotsRules> robots_;  // by host
  std::unordered_map<std::string, std::string> in_flight_;      // U record id -> key
  std::unordered_set<std::string> handed_out_;                  // keys of every page handed out
  std::unordered_set<std::string> refused_;                     // keys never to fetch
  CrawlCounts counts_;
  std::uint64_t trap_limit_;
  std::unordered_map<std::string, std::string> contents_;  // content digest -> first page's key
  struct PrefixRun {
    std::uint64_t streak = 0;   // repeated pages in a row
    std::uint64_t longest = 0;  // longest streak
    std::uint64_t repeats = 0;  // repeated pages in all
  };
  std::unordered_map<std::string, PrefixRun> prefixes_;  // by trap_prefix()
};

}  // namespace dupipe::producer
