#include "producer/crawl_journal.hpp"

#include <nlohmann/json.hpp>

#include "common/protocol/records.hpp"
#include "crawl/page_assembler.hpp"

namespace dupipe::producer {
namespace {

using Json = nlohmann::json;

std::string event_line(const Json& event) {
  // A robots.txt need not be UTF-8: what JSON cannot carry becomes U+FFFD, which no rule matches.
  return event.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The state the replay carries from line to line.
struct Replayer {
  CrawlSchedule& schedule;
  const std::string& path;
  std::string last_run;
  std::uint64_t lines = 0;

  void take(std::string_view line) {
    ++lines;
    if (line.starts_with('{')) {
      event(line);
    } else if (line.starts_with("U\t")) {
      auto record = parse_record(line);
      const auto* url = record ? std::get_if<UrlRecord>(&*record) : nullptr;
      if (url == nullptr) fail_at(line, "not a U record");
      (void)schedule.resume_handout(*url);
    } else {
      auto taken = schedule.take(line);
      if (!taken) fail_at(line, taken.error().message);
    }
  }

  void event(std::string_view line) {
    const Json event = Json::parse(line, nullptr, false);
    if (!event.is_object()) fail_at(line, "not a JSON object");
    if (event.contains("run")) {
      last_run = event.value("run", "");
    } else if (event.contains("lost")) {
      schedule.restart_in_flight();
    } else if (event.contains("sitemap_pages")) {
      (void)schedule.take_sitemap_pages(event.value("sitemap_pages", std::vector<std::string>{}));
    } else if (event.contains("robots")) {
      const std::string host = event.value("robots", "");
      const int status = event.value("status", 0);
      schedule.take_robots(host,
                           crawl::RobotsRules::for_status(status, event.value("body", ""),
                                                          RobotsFetcher::kProductToken),
                           crawl::Clock::now());
    } else {
      fail_at(line, "an event this producer does not know");
    }
  }

  [[noreturn]] void fail_at(std::string_view line, const std::string& why) const {
    throw FatalError("crawl journal " + path + ", line " + std::to_string(lines) + " (" +
                     std::string(line.substr(0, 60)) + "): " + why);
  }
};

}  // namespace

CrawlJournal CrawlJournal::open(const JournalFiles& files, CrawlSchedule& schedule,
                                Replay& replay) {
  Replayer replayer{schedule, files.journal, "", 0};
  RecordJournal journal =
      RecordJournal::open(files.journal, [&](std::string_view line) { replayer.take(line); });
  CrawlJournal opened(std::move(journal), files.feedback);
  replay.lines = replayer.lines;
  if (replay.lines == 0) {
    opened.journal_.append(event_line({{"run", files.launch_id}}));
    return opened;
  }
  replay.recovered = opened.recover_held(schedule, [](const std::string&) { return true; });
  const std::uint64_t held = schedule.frontier().in_flight();
  if (replayer.last_run == files.launch_id) {
    // This run's fetchers are alive: the pages they hold are reported on the link (a fetcher
    // that dies is noticed as ever and its pages start again).
    replay.awaited = held;
  } else {
    replay.requeued = held;
    schedule.restart_in_flight();
    opened.lost();
  }
  opened.journal_.append(event_line({{"run", files.launch_id}}));
  return opened;
}

void CrawlJournal::sitemap_pages(const std::vector<std::string>& urls) {
  journal_.append(event_line({{"sitemap_pages", urls}}));
}

void CrawlJournal::lost() { journal_.append(event_line({{"lost", true}})); }

void CrawlJournal::robots(const RobotsAnswer& answer) {
  journal_.append(
      event_line({{"robots", answer.host}, {"status", answer.status}, {"body", answer.body}}));
}

bool CrawlJournal::recover(CrawlSchedule& schedule, const std::string& page_id) {
  return recover_held(schedule, [&](const std::string& id) { return id == page_id; }) > 0;
}

template <typename Wanted>
std::uint64_t CrawlJournal::recover_held(CrawlSchedule& schedule, const Wanted& wanted) {
  if (feedback_.empty()) return 0;
  crawl::PageAssembler pages;
  std::uint64_t recovered = 0;
  read_journal(feedback_, [&](std::string_view line) {
    auto record = parse_record(line);
    if (!record) return;  // a fetcher's torn last line: that page is reported again or fetched
    if (const auto* link = std::get_if<FoundLinkRecord>(&*record)) {
      pages.add(*link);
      return;
    }
    const auto* done = std::get_if<PageDoneRecord>(&*record);
    if (done == nullptr) return;
    auto page = pages.finish(*done);
    if (!page || !wanted(page->page_id) || !schedule.holds(page->page_id)) return;
    std::vector<std::string> report;
    for (const std::string& url : page->links) {
      report.push_back(value_or_fatal(format_record(FoundLinkRecord{page->page_id, url})));
    }
    report.emplace_back(line);
    for (const std::string& taken : report) {
      const auto result = schedule.take(taken);
      if (!result || result->torn_page) {
        throw FatalError("fetchers' journal " + feedback_ + ": page " + page->page_id +
                         " cannot be settled from it");
      }
      journal_.append(taken);
    }
    ++recovered;
  });
  return recovered;
}

}  // namespace dupipe::producer
