// Fuzz target: crawl link extraction. The first byte picks the options and one of a few page
// URLs; the rest is the page. Every link must be an http or https URL that the producer accepts
// (printable ASCII without space or backslash, parsable, with a host), without a fragment, and
// each link appears once.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "common/protocol/url_intake.hpp"
#include "crawl/link_extractor.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using dupipe::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::string_view kPages[] = {"http://h.test/dir/page.html", "https://h.test",
                                         "http://[::1]:8080/a/b?q#f", "http://h.test/%7Ex/"};
  dupipe::crawl::LinkOptions options;
  options.respect_nofollow = (data[0] & 1) != 0;
  options.max_bytes = 64 * 1024;  // the bound itself is part of what is exercised
  const std::string_view page = kPages[(data[0] >> 1) % std::size(kPages)];
  const std::string_view html(reinterpret_cast<const char*>(data + 1), size - 1);

  const dupipe::crawl::PageLinks links = dupipe::crawl::extract_links(html, page, options);
  check(!links.is_nofollow || links.urls.empty(), "a nofollow page gives no links");
  dupipe::UrlPolicy policy;
  policy.max_url_bytes = 4000;
  std::set<std::string> seen;
  for (const std::string& url : links.urls) {
    check(url.starts_with("http://") || url.starts_with("https://"), "a link is http or https");
    check(url.find('#') == std::string::npos, "a link has no fragment");
    check(seen.insert(url).second, "each link appears once");
    if (url.size() <= policy.max_url_bytes) {
      check(dupipe::validate_url(url, policy).has_value(), "the producer accepts every link");
    }
  }
  return 0;
}
