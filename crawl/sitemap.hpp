// The URLs a sitemap lists (the sitemaps.org protocol): the <loc> of each <url> of a <urlset>,
// and in a sitemap index the <loc> of each <sitemap>, which are sitemaps themselves. Read with
// the HTML5 parser the crawl already uses (gumbo): XML's elements become unknown elements with
// their nesting kept and its character references are decoded, which is all the format needs
// (CDATA sections and gzip-compressed sitemaps are not read). Each value is stripped of white
// space and resolved against the sitemap's URL; only http and https are kept.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dupipe::crawl {

struct SitemapEntries {
  std::vector<std::string> pages;     // <url><loc>, in document order
  std::vector<std::string> sitemaps;  // <sitemap><loc> of a sitemap index
};

// sitemaps.org: at most 50 MiB (uncompressed) and 50,000 URLs in one file.
inline constexpr std::size_t kMaxSitemapBytes = 50 * 1024 * 1024;
inline constexpr std::size_t kMaxSitemapUrls = 50'000;

[[nodiscard]] SitemapEntries parse_sitemap(std::string_view xml, std::string_view sitemap_url);

}  // namespace dupipe::crawl
