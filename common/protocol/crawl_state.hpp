// What a crawl's frontier knows and the report shows (docs/REPORT.md, "Crawl mode"): each page's
// depth and the page it was found on, and the URLs found but not fetched, by reason. The
// producer writes it (OUT/.dupipe/crawl.json) when the crawl ends, before it exits, so it is
// there before the aggregator's last record; the aggregator reads it into the report.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

#include "common/base/error.hpp"

namespace dupipe {

struct PageOrigin {
  std::uint32_t depth = 0;
  std::string found_on;  // the URL of the page that linked to it; empty for a seed
};

struct CrawlState {
  std::unordered_map<std::string, PageOrigin> pages;  // by the URL fetched
  std::map<std::string, std::uint64_t> not_fetched;   // reason -> URLs ("scope", "robots", ...)
  // Path prefixes that kept yielding pages whose content was already seen: prefix -> such pages.
  std::map<std::string, std::uint64_t> likely_traps;
};

[[nodiscard]] std::string to_json(const CrawlState& state);
// An Error naming the file when it cannot be read or is not a crawl state.
[[nodiscard]] Expected<CrawlState> read_crawl_state(const std::string& path);

}  // namespace dupipe
