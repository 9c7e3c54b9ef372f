// dupipe-bench-frontier: the crawl frontier's memory per URL (docs/CRAWL.md). Not a test: it
// drives the producer's CrawlSchedule through a synthetic crawl of --urls distinct URLs (each
// page links --links URLs: new ones until the site has them all, then pages it already has) and
// prints the heap in use (glibc's mallinfo2) per URL when every URL is known and queued, and
// when every page is settled.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "common/protocol/records.hpp"
#include "producer/crawl_schedule.hpp"

namespace {

std::size_t heap_in_use() { return mallinfo2().uordblks; }

std::string url_of(std::uint64_t n) {
  char url[96];
  std::snprintf(url, sizeof url, "http://bench.test/section-%03llu/page-%07llu.html",
                static_cast<unsigned long long>(n % 100), static_cast<unsigned long long>(n));
  return url;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t urls = 100'000;
  std::uint64_t links = 8;
  CLI::App app{"dupipe-bench-frontier: the crawl frontier's heap per URL"};
  app.add_option("--urls", urls, "Distinct URLs in the synthetic site")->capture_default_str();
  app.add_option("--links", links, "Links on each page")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const std::size_t before = heap_in_use();
  dupipe::producer::CrawlOptions options;
  options.limits.per_host = 1'000'000;
  options.limits.max_depth = 1'000;
  auto schedule = dupipe::producer::CrawlSchedule::make(options, {{url_of(0), url_of(0)}});
  if (!schedule) {
    std::fprintf(stderr, "%s\n", schedule.error().message.c_str());
    return 1;
  }
  std::uint64_t found = 1;
  std::size_t at_peak = 0;
  std::deque<dupipe::UrlRecord> in_flight;
  const auto now = dupipe::crawl::Clock::now();
  for (std::uint64_t page = 0;; ++page) {
    while (auto handout = schedule->next(now)) in_flight.push_back(std::move(handout->record));
    if (in_flight.empty()) break;
    const dupipe::UrlRecord record = std::move(in_flight.front());
    in_flight.pop_front();
    for (std::uint64_t i = 0; i < links; ++i) {
      const std::uint64_t target = found < urls ? found++ : (page * 7 + i * 13) % urls;
      if (!schedule->take("A\t" + record.id + "\t" + url_of(target))) return 1;
    }
    if (!schedule->take("D\t" + record.id + "\t" + std::to_string(links) + "\tfetched")) return 1;
    if (found == urls && at_peak == 0) at_peak = heap_in_use();
  }
  const std::size_t at_end = heap_in_use();
  const auto per_url = [&](std::size_t bytes) {
    return static_cast<double>(bytes - before) / static_cast<double>(urls);
  };
  std::printf("%llu URLs (%zu-byte URLs), %llu links a page\n",
              static_cast<unsigned long long>(urls), url_of(1).size(),
              static_cast<unsigned long long>(links));
  std::printf("heap when every URL is known: %.0f bytes per URL\n", per_url(at_peak));
  std::printf("heap when every page is settled: %.0f bytes per URL\n", per_url(at_end));
  std::printf("pages settled: %llu\n", static_cast<unsigned long long>(schedule->counts().fetched));
  return 0;
}
