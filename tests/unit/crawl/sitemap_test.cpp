// Sitemaps: the <loc> of each <url>, and of each <sitemap> of an index, white space stripped,
// character references decoded, resolved against the sitemap's URL; nothing from a comment, an
// extension's own <image:loc>, or a URL that is not http or https.
#include "crawl/sitemap.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dupipe::crawl {
namespace {

using Urls = std::vector<std::string>;

TEST(Sitemap, ListsThePagesOfAUrlset) {
  const auto entries = parse_sitemap(R"(<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>
     http://h.test/a.html
  </loc><lastmod>2026-01-01</lastmod></url>
  <url><loc>http://h.test/q?a=1&amp;b=2</loc>
    <image:image><image:loc>http://h.test/i.png</image:loc></image:image></url>
  <!-- <url><loc>http://h.test/commented</loc></url> -->
  <url><loc>/relative.html</loc></url>
  <url><loc>ftp://h.test/file</loc></url>
  <URL><LOC>http://h.test/upper</LOC></URL>
</urlset>)",
                                     "http://h.test/sitemap.xml");
  EXPECT_EQ(entries.pages, (Urls{"http://h.test/a.html", "http://h.test/q?a=1&b=2",
                                 "http://h.test/relative.html", "http://h.test/upper"}));
  EXPECT_TRUE(entries.sitemaps.empty());
}

TEST(Sitemap, ListsTheSitemapsOfAnIndex) {
  const auto entries = parse_sitemap(R"(<sitemapindex>
  <sitemap><loc>http://h.test/maps/one.xml</loc></sitemap>
  <sitemap><loc>two.xml</loc><lastmod>2026-01-01</lastmod></sitemap>
</sitemapindex>)",
                                     "http://h.test/maps/index.xml");
  EXPECT_EQ(entries.sitemaps, (Urls{"http://h.test/maps/one.xml", "http://h.test/maps/two.xml"}));
  EXPECT_TRUE(entries.pages.empty());
}

TEST(Sitemap, GivesNothingForABodyThatIsNotASitemapOrABaseThatIsNotHttp) {
  EXPECT_TRUE(parse_sitemap("not xml at all <<<", "http://h.test/sitemap.xml").pages.empty());
  EXPECT_TRUE(
      parse_sitemap("<urlset><url><loc>http://h.test/a</loc></url></urlset>", "file:///sitemap.xml")
          .pages.empty());
}

TEST(Sitemap, KeepsAtMostTheProtocolsNumberOfUrls) {
  std::string xml = "<urlset>";
  for (std::size_t i = 0; i < kMaxSitemapUrls + 10; ++i) {
    xml += "<url><loc>http://h.test/" + std::to_string(i) + "</loc></url>";
  }
  xml += "</urlset>";
  EXPECT_EQ(parse_sitemap(xml, "http://h.test/sitemap.xml").pages.size(), kMaxSitemapUrls);
}

}  // namespace
}  // namespace dupipe::crawl
