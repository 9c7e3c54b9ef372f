#include "producer/crawl_schedule.hpp"

#include <algorithm>

#include "common/protocol/record_id.hpp"
#include "crawl/url_key.hpp"

namespace dupipe::producer {

std::string trap_prefix(std::string_view key) {
  const std::size_t path = crawl::path_start(key);
  const std::string_view path_only = key.substr(0, key.find('?', path));
  const std::size_t second = path_only.find('/', path + 1);
  if (path == path_only.size() || second == std::string_view::npos) {
    return std::string(key.substr(0, path)) + "/";  // a page directly under the root
  }
  return std::string(path_only.substr(0, second + 1));
}

std::string describe(const CrawlCounts& c) {
  const auto n = [](std::uint64_t value) { return std::to_string(value); };
  std::string text = n(c.seeds) + " seeds; " + n(c.fetched) + " pages fetched, " + n(c.failed) +
                     " failed; " + n(c.found) + " new URLs found; not followed: " + n(c.scope) +
                     " out of scope, " + n(c.filter) + " filtered, " + n(c.trap) + " traps, " +
                     n(c.too_deep) + " too deep, " + n(c.robots) + " denied by robots.txt, " +
                     n(c.not_started) + " over --max-pages";
  if (c.restarts > 0) text += "; pages in flight started again " + n(c.restarts) + " times";
  if (c.repeats > 0) {
    text += "; " + n(c.repeats) + " pages of content already seen";
    if (c.duplicates > 0) text += " (" + n(c.duplicates) + " of their links not followed)";
  }
  if (c.sitemap > 0) text += "; " + n(c.sitemap) + " URLs from sitemaps";
  if (c.busy > 0) text += "; hosts asked to wait (429, 503) " + n(c.busy) + " times";
  return text;
}

Expected<CrawlSchedule> CrawlSchedule::make(const CrawlOptions& options,
                                            const std::vector<crawl::FoundUrl>& seeds) {
  std::vector<std::string> keys;
  keys.reserve(seeds.size());
  for (const crawl::FoundUrl& seed : seeds) keys.push_back(seed.key);
  auto scope = crawl::Scope::make(options.scope, keys);
  if (!scope) return tl::unexpected(scope.error());
  CrawlSchedule schedule(crawl::Frontier(options.limits), std::move(*scope), options.limits.delay,
                         options.trap_limit);
  for (const crawl::FoundUrl& seed : seeds) {
    if (schedule.frontier_.add_seed(seed) == crawl::Admission::kQueued) ++schedule.counts_.seeds;
  }
  return schedule;
}

std::optional<Handout> CrawlSchedule::next(crawl::Clock::time_point now) {
  auto assignment = frontier_.next(now);
  // A host is open only once its rules are known, so a denied URL is dropped as it comes out.
  while (assignment && is_denied(assignment->key)) {
    frontier_.drop(assignment->key);
    ++counts_.robots;
    assignment = frontier_.next(now);
  }
  if (!assignment) return std::nullopt;
  const bool is_first = handed_out_.insert(assignment->key).second;
  UrlRecord record{make_record_id(assignment->url), std::move(assignment->url)};
  in_flight_[record.id] = std::move(assignment->key);
  return Handout{std::move(record), is_first};
}

Expected<Taken> CrawlSchedule::take(std::string_view line) {
  auto record = parse_record(line);
  if (!record) return tl::unexpected(record.error());
  if (const auto* link = std::get_if<FoundLinkRecord>(&*record)) {
    pages_.add(*link);
    return Taken{};
  }
  if (const auto* done = std::get_if<PageDoneRecord>(&*record)) return settle(*done);
  if (const auto* busy = std::get_if<HostBusyRecord>(&*record)) {
    // The whole host waits, not only the page: Retry-After speaks for the server.
    if (const auto held = in_flight_.find(busy->page_id); held != in_flight_.end()) {
      ++counts_.busy;
      frontier_.hold_host(held->second, crawl::Clock::now(),
                          std::chrono::milliseconds(busy->wait_ms));
    }
    return Taken{};
  }
  return fail("not a crawl feedback record (A, D or B): " + std::string(line.substr(0, 80)));
}

Expected<Taken> CrawlSchedule::settle(const PageDoneRecord& done) {
  const auto held = in_flight_.find(done.page_id);
  auto page = pages_.finish(done);
  if (held == in_flight_.end()) return Taken{};  // a second report of a page started again
  if (!page) return Taken{done.page_id};
  const std::string key = std::move(held->second);
  in_flight_.erase(held);
  if (page->outcome == PageOutcome::kFailed) {
    ++counts_.failed;
    (void)frontier_.finished(key, {});
    return Taken{};
  }
  ++counts_.fetched;
  auto links = admissible(page->links);
  if (is_trapped(key, done.content)) {
    refuse_new(links);
    links.clear();
  }
  for (const crawl::Admission admission : frontier_.finished(key, links)) {
    if (admission == crawl::Admission::kQueued) ++counts_.found;
  }
  return Taken{};
}

std::uint64_t CrawlSchedule::take_sitemap_pages(const std::vector<std::string>& urls) {
  std::uint64_t taken = 0;
  for (const crawl::FoundUrl& page : admissible(urls)) {
    if (frontier_.add_seed(page) == crawl::Admission::kQueued) ++taken;
  }
  counts_.sitemap += taken;
  return taken;
}

bool CrawlSchedule::resume_handout(const UrlRecord& record) {
  auto key = crawl::url_key(record.url);
  if (!key || !frontier_.start(*key)) return false;
  handed_out_.insert(*key);
  in_flight_[record.id] = std::move(*key);
  return true;
}

// The links that pass the trap limits and the scope, with their keys; a link that is not an
// absolute http(s) URL (the fetcher resolves them, so only a broken writer sends one) is a trap
// of no kind and is dropped uncounted.
std::vector<crawl::FoundUrl> CrawlSchedule::admissible(const std::vector<std::string>& links) {
  std::vector<crawl::FoundUrl> kept;
  kept.reserve(links.size());
  for (const std::string& url : links) {
    auto key = crawl::url_key(url);
    if (!key || refused_.count(*key) != 0) continue;
    if (url.size() > crawl::kMaxKeyBytes) {
      refuse(*key, "url length");
    } else if (const auto trap = crawl::trap_reason(*key)) {
      refuse(*key, *trap);
    } else if (const auto excluded = scope_.excluded(*key, url)) {
      refuse(*key, *excluded);
    } else {
      kept.push_back(crawl::FoundUrl{std::move(*key), url});
    }
  }
  return kept;
}

bool CrawlSchedule::is_trapped(const std::string& key, const std::string& content) {
  if (content.empty()) return false;  // not a text/html page
  PrefixRun& run = prefixes_[trap_prefix(key)];
  if (contents_.emplace(content, key).second) {
    run.streak = 0;
    return false;
  }
  ++counts_.repeats;
  ++run.repeats;
  run.longest = std::max(run.longest, ++run.streak);
  return trap_limit_ > 0 && run.streak >= trap_limit_;
}

void CrawlSchedule::refuse_new(const std::vector<crawl::FoundUrl>& links) {
  for (const crawl::FoundUrl& link : links) {
    if (!frontier_.depth_of(link.key) && refused_.count(link.key) == 0) {
      refuse(link.key, "duplicates");
    }
  }
}

void CrawlSchedule::refuse(const std::string& key, std::string_view reason) {
  refused_.insert(key);
  if (reason == "duplicates") {
    ++counts_.duplicates;
  } else if (reason == "scope") {
    ++counts_.scope;
  } else if (reason == "filter") {
    ++counts_.filter;
  } else {
    ++counts_.trap;
  }
}

CrawlCounts CrawlSchedule::counts() const {
  CrawlCounts counts = counts_;
  counts.too_deep = frontier_.too_deep();
  counts.not_started = frontier_.is_at_page_limit() ? frontier_.queued() : 0;
  return counts;
}

bool CrawlSchedule::is_denied(const std::string& key) const {
  const auto rules = robots_.find(crawl::host_of_key(key));
  if (rules == robots_.end()) return false;
  const std::size_t path = crawl::path_start(key);
  return !rules->second.allows(path == key.size() ? "/" : std::string_view(key).substr(path));
}

std::vector<RobotsWanted> CrawlSchedule::robots_wanted() {
  std::vector<RobotsWanted> wanted;
  for (crawl::NewHost& host : frontier_.take_new_hosts()) {
    if (robots_.count(host.host) != 0) continue;  // known from a replayed journal
    const std::size_t scheme_end = host.first_key.find("://");
    const std::string scheme = host.first_key.substr(0, scheme_end);
    wanted.push_back(RobotsWanted{host.host, scheme + "://" + host.host + "/robots.txt"});
  }
  return wanted;
}

void CrawlSchedule::take_robots(const std::string& host, crawl::RobotsRules rules,
                                crawl::Clock::time_point now) {
  const std::chrono::milliseconds delay = std::max(delay_, rules.crawl_delay().value_or(delay_));
  robots_.insert_or_assign(host, std::move(rules));
  frontier_.open_host(host, delay, now);
}

std::vector<UrlRecord> CrawlSchedule::handed_out() const {
  std::vector<UrlRecord> records;
  records.reserve(handed_out_.size());
  for (const std::string& key : handed_out_) {
    std::string url = frontier_.url_of(key).value_or(key);
    records.push_back(UrlRecord{make_record_id(url), std::move(url)});
  }
  return records;
}

CrawlState CrawlSchedule::state() const {
  CrawlState state;
  for (const std::string& key : handed_out_) {
    state.pages[frontier_.url_of(key).value_or(key)] =
        PageOrigin{frontier_.depth_of(key).value_or(0), frontier_.found_on(key).value_or("")};
  }
  const CrawlCounts c = counts();
  for (const auto& [reason, count] :
       {std::pair{"scope", c.scope}, std::pair{"filter", c.filter}, std::pair{"trap", c.trap},
        std::pair{"depth", c.too_deep}, std::pair{"robots", c.robots},
        std::pair{"max_pages", c.not_started}, std::pair{"duplicates", c.duplicates}}) {
    if (count > 0) state.not_fetched[reason] = count;
  }
  const std::uint64_t run =
      trap_limit_ > 0 ? std::min(trap_limit_, kLikelyTrapRun) : kLikelyTrapRun;
  for (const auto& [prefix, seen] : prefixes_) {
    if (seen.longest >= run) state.likely_traps[prefix] = seen.repeats;
  }
  return state;
}

void CrawlSchedule::restart_in_flight() {
  if (frontier_.in_flight() == 0) return;
  ++counts_.restarts;
  frontier_.restart_in_flight();
}

}  // namespace dupipe::producer
