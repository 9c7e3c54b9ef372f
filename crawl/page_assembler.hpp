// The frontier's side of the crawl feedback (docs/PROTOCOL.md, "fetcher → producer"): A records
// are collected per page until the page's D record, which hands over the page with all its
// links. Pages of several fetchers interleave on the link; one writer's records of a page keep
// their order. A fetcher killed in the middle of a page leaves A records without a D: when the
// page is fetched again its fresh links come after those, so a D keeps the last `links` A
// records of its page and drops the older ones. Memory: the links of the pages in flight.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/base/error.hpp"
#include "common/protocol/records.hpp"

namespace dupipe::crawl {

struct FinishedPage {
  std::string page_id;
  PageOutcome outcome = PageOutcome::kFetched;
  std::vector<std::string> links;  // in the order the fetcher found them
  std::uint64_t dropped = 0;       // A records left by an earlier, unfinished fetch of it
};

class PageAssembler {
 public:
  void add(const FoundLinkRecord& link);
  // The page of the D record, with its links; an Error when the D record promises more links
  // than arrived (a writer that lost records: the link cannot be trusted).
  [[nodiscard]] Expected<FinishedPage> finish(const PageDoneRecord& done);

  // Pages with links and no D record yet.
  [[nodiscard]] std::size_t open_pages() const { return links_.size(); }

 private:
  std::unordered_map<std::string, std::vector<std::string>> links_;
};

}  // namespace dupipe::crawl
