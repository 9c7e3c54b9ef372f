// Crawl mode's way back to the producer: for each page a fetcher finished, the links of an HTML
// body (A records) and then the page's D record, which tells the producer that the page is
// settled and its links are complete (docs/PROTOCOL.md, "Crawl feedback"). Written after the
// page's P or F record went downstream, so a page the producer counts as done is accounted.
#pragma once

#include <string>

#include "common/base/logger.hpp"
#include "common/transport/endpoint.hpp"
#include "crawl/link_extractor.hpp"
#include "fetcher/async_fetcher.hpp"
#include "fetcher/job.hpp"

namespace dupipe::fetcher {

class LinkFeedback {
 public:
  LinkFeedback(RecordWriter& output, crawl::LinkOptions options, const Logger& logger)
      : output_(output), options_(options), logger_(logger) {}

  // The links of `file` if its Content-Type is text/html (whatever its name), then its D record.
  void page_fetched(const UrlRecord& page, const DownloadedFile& file);
  void page_failed(const UrlRecord& page);
  // The page's server answered 429 or 503 and the page is tried again after busy.wait: a B record,
  // so the frontier starts nothing else on that host before then.
  void host_busy(const BusyHost& busy);

 private:
  // A text/html page's links and its content digest; nothing for any other body.
  struct Page {
    crawl::PageLinks links;
    std::string content;
  };
  [[nodiscard]] Page read_page(const UrlRecord& page, const DownloadedFile& file) const;

  RecordWriter& output_;
  crawl::LinkOptions options_;
  const Logger& logger_;
};

}  // namespace dupipe::fetcher
