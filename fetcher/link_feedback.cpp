#include "fetcher/link_feedback.hpp"

#include <xxhash.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "common/protocol/record_codec.hpp"

namespace dupipe::fetcher {
namespace {

// An A record carries its tag, the page's id and the URL: a URL longer than this cannot travel
// (the producer's trap limit, 2,083 bytes, rejects far shorter ones anyway).
constexpr std::size_t kLongestLinkBytes = 4000;

// 16 hex digits of XXH3-64: the frontier compares pages' content, no more (not a security digest).
std::string content_digest(std::string_view bytes) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
  return hex;
}

}  // namespace

LinkFeedback::Page LinkFeedback::read_page(const UrlRecord& page,
                                           const DownloadedFile& file) const {
  if (!crawl::is_html(file.content_type)) return {};
  std::ifstream in(file.path, std::ios::binary);
  std::string html(std::min<std::uint64_t>(file.size, options_.max_bytes), '\0');
  if (!in.read(html.data(), static_cast<std::streamsize>(html.size()))) {
    // The file was just written by this process; a failure here is the disk's, not the page's.
    logger_.warning(file.path + ": cannot read the page back to find its links; none followed");
    return {};
  }
  const std::string& base = file.final_url.empty() ? page.url : file.final_url;
  return Page{crawl::extract_links(html, base, options_), content_digest(html)};
}

void LinkFeedback::page_fetched(const UrlRecord& page, const DownloadedFile& file) {
  const auto [links, content] = read_page(page, file);
  if (links.is_truncated) {
    logger_.warning(page.url + ": only the first part of the page was searched for links");
  }
  std::uint64_t sent = 0;
  for (const std::string& url : links.urls) {
    if (url.size() > kLongestLinkBytes) {
      logger_.warning(page.url + ": a link of " + std::to_string(url.size()) +
                      " bytes is too long to follow");
      continue;
    }
    write_record(output_, FoundLinkRecord{page.id, url});
    ++sent;
  }
  write_record(output_, PageDoneRecord{page.id, sent, PageOutcome::kFetched, content});
}

void LinkFeedback::host_busy(const BusyHost& busy) {
  write_record(output_,
               HostBusyRecord{busy.record.id, static_cast<std::uint64_t>(busy.wait.count())});
}

void LinkFeedback::page_failed(const UrlRecord& page) {
  write_record(output_, PageDoneRecord{page.id, 0, PageOutcome::kFailed, ""});
}

}  // namespace dupipe::fetcher
