#include "producer/crawl_run.hpp"

#include <poll.h>

#include <deque>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/os/signals.hpp"
#include "common/os/sys.hpp"
#include "common/protocol/record_id.hpp"
#include "common/protocol/redaction.hpp"
#include "common/protocol/url_intake.hpp"
#include "crawl/url_key.hpp"

namespace dupipe::producer {
namespace {

using namespace std::chrono_literals;

// A transport poll(2) cannot watch (shm) is looked at again after this long.
constexpr auto kSlice = 10ms;
// Feedback records taken per round before the loop writes again: both links keep moving.
constexpr int kFeedbackBatch = 256;

// The seeds and the F records of the seed lines refused.
struct Seeds {
  std::vector<crawl::FoundUrl> urls;
  std::deque<std::string> rejections;
};

Seeds read_seeds(RecordReader& input, const Logger& logger) {
  const UrlPolicy policy{false, crawl::kMaxKeyBytes};
  Seeds seeds;
  std::uint64_t line_number = 0;
  while (const auto delivery = input.read()) {
    ++line_number;
    ClassifiedLine line = classify_line(delivery->line, policy);
    input.acknowledge(delivery->tag);
    if (line.verdict == LineVerdict::kSkip) continue;
    auto key = line.verdict == LineVerdict::kAccept ? crawl::url_key(line.text)
                                                    : Expected<std::string>(fail(line.reason));
    if (key) {
      seeds.urls.push_back(crawl::FoundUrl{std::move(*key), std::move(line.text)});
      continue;
    }
    const std::string error =
        "seed line " + std::to_string(line_number) + ": " + key.error().message;
    logger.warning(error);
    seeds.rejections.push_back(value_or_fatal(format_record(FailureRecord{
        make_record_id(line.text), redact_credentials(line.text), Stage::kProducer, error})));
  }
  return seeds;
}

class CrawlLoop {
 public:
  CrawlLoop(CrawlSchedule& schedule, RecordWriter& output, RecordReader& feedback,
            std::deque<std::string> backlog, const Logger& logger, const CrawlChannels& channels,
            CrawlJournal* journal)
      : schedule_(schedule),
        output_(output),
        feedback_(feedback),
        backlog_(std::move(backlog)),
        logger_(logger),
        loss_(channels.loss),
        manifest_(channels.manifest),
        robots_(channels.robots),
        obeys_robots_(channels.obeys_robots),
        sitemaps_(channels.sitemaps),
        journal_(journal) {}

  void run() {
    while (true) {
      throw_if_stopped();
      take_loss();
      take_robots();
      const bool wrote = write_what_may_start();
      // A sitemap still coming may bring pages.
      const bool is_fetching = robots_ != nullptr && robots_->is_busy();
      if (schedule_.is_finished() && backlog_.empty() && !is_fetching) return;
      const bool read = read_feedback();
      if (!wrote && !read) wait();
    }
  }

 private:
  // Hands out pages while the fetchers' link has room; true if anything was written. A page is
  // taken from the frontier only when the backlog is empty, so it starts (for the politeness
  // delay) when it is written, not long before.
  bool write_what_may_start() {
    bool wrote = false;
    while (true) {
      if (backlog_.empty()) {
        auto page = schedule_.next(crawl::Clock::now());
        if (!page) return wrote;
        backlog_.push_back(value_or_fatal(format_record(page->record)));
        // Listed before it is sent (once, not again after a loss): a producer killed in between
        // leaves a record the aggregator waits for, which a re-feed pass sends.
        if (manifest_ != nullptr && page->is_first) manifest_->append(backlog_.back());
      }
      if (!output_.try_write_line(backlog_.front())) return wrote;
      // Journalled once it is on the link: a U record the link never got is handed out again.
      if (journal_ != nullptr && backlog_.front().starts_with("U\t")) {
        journal_->handed_out(backlog_.front());
      }
      backlog_.pop_front();
      wrote = true;
    }
  }

  // Takes what the fetchers sent back, at most a batch; true if anything was read.
  bool read_feedback() {
    for (int taken = 0; taken < kFeedbackBatch; ++taken) {
      const ReadResult result = feedback_.read_for(0ms);
      switch (result.status) {
        case ReadStatus::kTimedOut:
          return taken > 0;
        case ReadStatus::kEndOfStream:
          if (!schedule_.is_finished()) {
            throw FatalError(feedback_.name() + ": every fetcher closed the link with " +
                             std::to_string(schedule_.frontier().in_flight()) + " pages in flight");
          }
          return taken > 0;
        case ReadStatus::kRecord:
          take(result.delivery.line);
          feedback_.acknowledge(result.delivery.tag);
          break;
      }
    }
    return true;
  }

  // One feedback record, journalled once taken. A torn report (its first links were read by a
  // killed producer) is settled from the fetchers' journal instead.
  void take(std::string_view line) {
    const Taken taken = value_or_fatal(schedule_.take(line));
    if (!taken.torn_page) {
      if (journal_ != nullptr) journal_->took(line);
      return;
    }
    if (journal_ != nullptr && journal_->recover(schedule_, *taken.torn_page)) {
      logger_.info("page " + *taken.torn_page +
                   ": its first links were lost with an earlier producer; taken from the "
                   "fetchers' journal");
      return;
    }
    throw FatalError(feedback_.name() + ": page " + *taken.torn_page +
                     ": its D record counts more links than arrived before it");
  }

  // A fetcher died: the pages it held will never be reported, and which they were is unknown.
  void take_loss() {
    if (loss_ == nullptr || loss_->take() == 0) return;
    const std::uint64_t in_flight = schedule_.frontier().in_flight();
    schedule_.restart_in_flight();
    if (journal_ != nullptr) journal_->lost();
    logger_.warning("a fetcher died: the " + std::to_string(in_flight) +
                    " pages in flight start again");
  }

  // Asks for the robots.txt (and with --sitemaps the sitemaps) of every host new to the crawl,
  // opens the hosts whose rules came and takes the pages of the sitemaps that came.
  void take_robots() {
    if (robots_ == nullptr) return;
    for (const RobotsWanted& wanted : schedule_.robots_wanted()) {
      if (obeys_robots_) {
        robots_->fetch(wanted.host, wanted.url);
      } else {
        ask_sitemaps(wanted.host, wanted.url, {});
      }
    }
    for (RobotsAnswer& answer : robots_->take_finished()) {
      logger_.info("robots.txt of " + answer.host + ": " + answer.outcome);
      if (answer.rules.crawl_delay_was_capped()) {
        logger_.warning("robots.txt of " + answer.host + " asks for a Crawl-delay over " +
                        std::to_string(crawl::RobotsRules::kMaxCrawlDelay.count() / 1000) +
                        " s: crawled at that pace");
      }
      if (journal_ != nullptr) journal_->robots(answer);
      ask_sitemaps(answer.host, answer.url, answer.rules.sitemaps());
      schedule_.take_robots(answer.host, std::move(answer.rules), crawl::Clock::now());
    }
    for (SitemapAnswer& sitemap : robots_->take_sitemaps()) take_sitemap(sitemap);
  }

  // The host's sitemaps: those its robots.txt lists and /sitemap.xml (beside `robots_url`), each
  // once, at most kMaxSitemapsPerHost in all.
  void ask_sitemaps(const std::string& host, const std::string& robots_url,
                    const std::vector<std::string>& listed) {
    if (!sitemaps_) return;
    std::vector<std::string> wanted = listed;
    if (const std::size_t slash = robots_url.rfind('/'); slash != std::string::npos) {
      wanted.push_back(robots_url.substr(0, slash) + "/sitemap.xml");
    }
    for (const std::string& url : wanted) ask_sitemap(host, url);
  }

  void ask_sitemap(const std::string& host, const std::string& url) {
    if (!crawl::url_key(url)) {
      logger_.warning("sitemap " + url + " of " + host + ": not an http(s) URL; skipped");
      return;
    }
    if (!sitemaps_asked_.insert(url).second) return;
    std::size_t& asked = sitemaps_per_host_[host];
    if (asked >= kMaxSitemapsPerHost) {
      logger_.warning("sitemap " + url + " of " + host + ": over " +
                      std::to_string(kMaxSitemapsPerHost) + " sitemaps for the host; skipped");
      return;
    }
    ++asked;
    robots_->fetch_sitemap(host, url);
  }

  void take_sitemap(const SitemapAnswer& sitemap) {
    const std::uint64_t taken = schedule_.take_sitemap_pages(sitemap.entries.pages);
    logger_.info("sitemap " + sitemap.url + ": " + sitemap.outcome + "; " + std::to_string(taken) +
                 " URLs new to the crawl");
    if (journal_ != nullptr && !sitemap.entries.pages.empty()) {
      journal_->sitemap_pages(sitemap.entries.pages);
    }
    for (const std::string& nested : sitemap.entries.sitemaps) ask_sitemap(sitemap.host, nested);
  }

  // Sleeps until the feedback link has a record, the fetchers' link has room for the backlog,
  // the frontier's next page may start, or a stop is requested.
  void wait() {
    std::vector<pollfd> fds;
    bool is_blind = false;  // some link cannot be polled: look again after a slice
    if (const auto fd = feedback_.wait_fd()) {
      fds.push_back({*fd, POLLIN, 0});
    } else {
      is_blind = true;
    }
    if (loss_ != nullptr) fds.push_back({loss_->fd(), POLLIN, 0});
    if (!backlog_.empty()) {
      if (const auto fd = output_.wait_fd()) {
        fds.push_back({*fd, POLLOUT, 0});
      } else {
        is_blind = true;
      }
    }
    std::optional<std::chrono::nanoseconds> timeout;
    if (backlog_.empty()) {
      if (const auto due = schedule_.wake_at()) {
        timeout = std::max<std::chrono::nanoseconds>(*due - crawl::Clock::now(), 0ns);
      }
    }
    if (is_blind) timeout = std::min<std::chrono::nanoseconds>(timeout.value_or(kSlice), kSlice);
    if (robots_ != nullptr && robots_->is_busy()) {
      robots_->wait(fds, timeout);
    } else {
      value_or_fatal(sys::wait_for_any(fds, timeout, "the crawl's links"));
    }
  }

  CrawlSchedule& schedule_;
  RecordWriter& output_;
  RecordReader& feedback_;
  // Records for the fetchers that their link had no room for: the crawl's backlog is here, in
  // the frontier, never in a write that blocks.
  std::deque<std::string> backlog_;
  const Logger& logger_;
  NoticeSignal* loss_;
  RecordJournal* manifest_;
  RobotsFetcher* robots_;
  bool obeys_robots_;
  bool sitemaps_;
  CrawlJournal* journal_;
  std::unordered_set<std::string> sitemaps_asked_;
  std::unordered_map<std::string, std::size_t> sitemaps_per_host_;
};

void log_replay(const Replay& replay, const std::string& path, const CrawlSchedule& schedule,
                const Logger& logger) {
  if (replay.lines == 0) return;
  const CrawlCounts counts = schedule.counts();
  logger.info("crawl journal " + path + ": " + std::to_string(replay.lines) + " lines replayed; " +
              std::to_string(counts.fetched + counts.failed) + " pages settled before (" +
              std::to_string(replay.recovered) + " from the fetchers' journal), " +
              std::to_string(replay.awaited) +
              " in flight still reported by this run's fetchers, " +
              std::to_string(replay.requeued) + " in flight in an earlier run fetched again, " +
              std::to_string(schedule.frontier().queued()) + " queued");
}

}  // namespace

CrawlCounts run_crawl(RecordReader& seeds, RecordWriter& output, RecordReader& feedback,
                      const CrawlOptions& options, const Logger& logger, CrawlChannels channels) {
  Seeds start = read_seeds(seeds, logger);
  if (channels.manifest != nullptr) {
    for (const std::string& rejection : start.rejections) channels.manifest->append(rejection);
  }
  auto schedule = value_or_fatal(CrawlSchedule::make(options, start.urls));
  std::optional<CrawlJournal> journal;
  if (!channels.journal.journal.empty()) {
    Replay replay;
    journal.emplace(CrawlJournal::open(channels.journal, schedule, replay));
    log_replay(replay, channels.journal.journal, schedule, logger);
    // The manifest starts afresh with each pass: what the journal handed out is listed again.
    if (channels.manifest != nullptr) {
      for (const UrlRecord& record : schedule.handed_out()) {
        channels.manifest->append(value_or_fatal(format_record(record)));
      }
    }
  }
  CrawlLoop(schedule, output, feedback, std::move(start.rejections), logger, channels,
            journal ? &*journal : nullptr)
      .run();
  const CrawlState state = schedule.state();
  for (const auto& [prefix, pages] : state.likely_traps) {
    logger.warning(
        "likely trap: " + prefix + ": " + std::to_string(pages) + " pages of content already seen" +
        (options.trap_limit == 0 ? " (--trap-limit N stops following their links)" : ""));
  }
  if (!channels.state_file.empty()) {
    value_or_fatal(sys::write_file_atomically(channels.state_file, to_json(state)));
  }
  return schedule.counts();
}

}  // namespace dupipe::producer
