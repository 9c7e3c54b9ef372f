// Link extraction for the crawl: what an HTML5 parser sees as links, resolved the way RFC 3986
// and browsers resolve them, and nothing that a browser would not follow.
#include "crawl/link_extractor.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dupipe::crawl {
namespace {

using Urls = std::vector<std::string>;

Urls links_of(const std::string& html, const std::string& page = "http://h.test/dir/page.html",
              const LinkOptions& options = {}) {
  return extract_links(html, page, options).urls;
}

TEST(LinkExtractor, TakesEveryLinkingElementInDocumentOrder) {
  const std::string html = R"html(<!doctype html><html><head>
    <link rel="stylesheet" href="/s.css"></head><body>
    <a href="a.html">a</a> <area href="area.html"> <img src="i.png" srcset="i2.png 2x, i3.png 3x">
    <picture><source src="s.webm" srcset="p1.jpg 640w,p2.jpg 1280w"></picture>
    <iframe src="f.html"></iframe> <video src="v.mp4"></video> <audio src="au.ogg"></audio>
    </body></html>)html";
  EXPECT_EQ(
      links_of(html),
      (Urls{"http://h.test/s.css", "http://h.test/dir/a.html", "http://h.test/dir/area.html",
            "http://h.test/dir/i.png", "http://h.test/dir/i2.png", "http://h.test/dir/i3.png",
            "http://h.test/dir/s.webm", "http://h.test/dir/p1.jpg", "http://h.test/dir/p2.jpg",
            "http://h.test/dir/f.html", "http://h.test/dir/v.mp4", "http://h.test/dir/au.ogg"}));
}

TEST(LinkExtractor, IgnoresCommentsScriptsStylesAndText) {
  const std::string html = R"html(<p>see http://h.test/text.html</p>
    <!-- <a href="comment.html">x</a> -->
    <script>document.write('<a href="script.html">x</a>'); var u = "/js.html";</script>
    <style>a { background: url(style.png) } </style><textarea><a href="ta.html"></textarea>
    <template><a href="template.html">inert</a></template><a href="real.html">r</a>)html";
  EXPECT_EQ(links_of(html), (Urls{"http://h.test/dir/real.html"}));
}

TEST(LinkExtractor, ResolvesRelativeReferencesPerRfc3986) {
  const std::string page = "http://h.test/b/c/d;p?q";
  auto one = [&](const std::string& href) {
    const Urls urls = links_of("<a href=\"" + href + "\">x</a>", page);
    return urls.empty() ? std::string("(none)html") : urls.front();
  };
  // RFC 3986 5.4.1, normal examples (fragments dropped).
  EXPECT_EQ(one("g"), "http://h.test/b/c/g");
  EXPECT_EQ(one("./g"), "http://h.test/b/c/g");
  EXPECT_EQ(one("g/"), "http://h.test/b/c/g/");
  EXPECT_EQ(one("/g"), "http://h.test/g");
  EXPECT_EQ(one("//g"), "http://g/");
  EXPECT_EQ(one("?y"), "http://h.test/b/c/d;p?y");
  EXPECT_EQ(one("g?y"), "http://h.test/b/c/g?y");
  EXPECT_EQ(one("#s"), "http://h.test/b/c/d;p?q");
  EXPECT_EQ(one("g#s"), "http://h.test/b/c/g");
  EXPECT_EQ(one(".."), "http://h.test/b/");
  EXPECT_EQ(one("../g"), "http://h.test/b/g");
  EXPECT_EQ(one("../../g"), "http://h.test/g");
  EXPECT_EQ(one("../../../g"), "http://h.test/g");  // 5.4.2: above the root stays at the root
  EXPECT_EQ(one("https://other.test/x#y"), "https://other.test/x");
}

TEST(LinkExtractor, HonoursTheFirstBaseHrefResolvedAgainstThePage) {
  const std::string html = R"html(<a href="x.html">before base</a>
    <base href="/sub/"><base href="http://ignored.test/"><a href="y.html">y</a>)html";
  EXPECT_EQ(links_of(html), (Urls{"http://h.test/sub/x.html", "http://h.test/sub/y.html"}));
  EXPECT_EQ(links_of(R"html(<base href="javascript:alert(1)"><a href="y.html">y</a>)html"),
            (Urls{"http://h.test/dir/y.html"}));
}

TEST(LinkExtractor, KeepsOnlyHttpAndHttpsAndEachUrlOnce) {
  const std::string html = R"html(<a href="mailto:a@b">m</a><a href="javascript:void(0)">j</a>
    <a href="data:text/html,x">d</a><a href="ftp://h.test/f">f</a><a href="HTTPS://h.test/s">s</a>
    <a href="tel:123">t</a><a href="a.html">1</a><a href=" a.html#frag ">2</a><a href="">empty</a>
    <a>no href</a>)html";
  EXPECT_EQ(links_of(html), (Urls{"https://h.test/s", "http://h.test/dir/a.html"}));
}

TEST(LinkExtractor, MakesAttributeTextIntoPrintableAsciiUrls) {
  EXPECT_EQ(links_of("<a href=\"a b.html?q=x y\">s</a>"),
            (Urls{"http://h.test/dir/a%20b.html?q=x%20y"}));
  EXPECT_EQ(links_of("<a href=\"caf\xC3\xA9.html\">u</a>"),
            (Urls{"http://h.test/dir/caf%C3%A9.html"}));
  EXPECT_EQ(links_of("<a href=\"a%20b.html\">kept</a>"), (Urls{"http://h.test/dir/a%20b.html"}));
  EXPECT_EQ(links_of("<a href=\"x\n\ty.html\">nl</a>"), (Urls{"http://h.test/dir/xy.html"}));
  EXPECT_EQ(links_of("<a href=\"\\\\other.test\\p\">bs</a>"), (Urls{"http://other.test/p"}));
  EXPECT_EQ(links_of("<a href=\"a&amp;b.html\">entity</a>"), (Urls{"http://h.test/dir/a&b.html"}));
}

// libcurl percent-decodes a host, and 7.88 cannot give it as punycode: a host that is not ASCII
// makes no link (found by the link_extractor fuzz target: "//h2%A7p" gave a URL with a raw byte).
TEST(LinkExtractor, DropsLinksToHostsThatAreNotAscii) {
  EXPECT_TRUE(links_of("<a href=\"//caf\xC3\xA9.test/x\">u</a>").empty());
  EXPECT_TRUE(links_of("<a href=\"//caf%C3%A9.test/x\">u</a>").empty());
  EXPECT_TRUE(links_of("<a href=\"\\\\h2\xA7p\">x</a><a href=\"//h2%A7p\">y</a>").empty());
  EXPECT_EQ(links_of("<a href=\"//h.test/caf%C3%A9\">path</a>"), (Urls{"http://h.test/caf%C3%A9"}));
}

TEST(LinkExtractor, ParsesSrcsetCandidatesWithCommasInsideUrls) {
  const std::string html =
      R"html(<img srcset="a,b.png 1x, c.png (max-width: 2x, 3x) 2x,d.png,, e.png">)html";
  EXPECT_EQ(links_of(html), (Urls{"http://h.test/dir/a,b.png", "http://h.test/dir/c.png",
                                  "http://h.test/dir/d.png", "http://h.test/dir/e.png"}));
}

TEST(LinkExtractor, AMetaRobotsNofollowPageGivesNoLinks) {
  for (const std::string meta : {R"html(<meta name="robots" content="noindex, nofollow">)html",
                                 R"html(<meta name="ROBOTS" content="NONE">)html",
                                 R"html(<meta name="dupipe" content="nofollow">)html"}) {
    const PageLinks links = extract_links(meta + "<a href=\"a.html\">a</a>", "http://h.test/", {});
    EXPECT_TRUE(links.is_nofollow) << meta;
    EXPECT_TRUE(links.urls.empty()) << meta;
  }
  const PageLinks other =
      extract_links(R"html(<meta name="description" content="nofollow"><a href="a.html">a</a>)html",
                    "http://h.test/", {});
  EXPECT_FALSE(other.is_nofollow);
  EXPECT_EQ(other.urls, (Urls{"http://h.test/a.html"}));
}

TEST(LinkExtractor, RelNofollowCountsOnlyWhenAsked) {
  const std::string html =
      R"html(<a rel="external NoFollow" href="n.html">n</a><a href="f.html">f</a>)html";
  EXPECT_EQ(links_of(html), (Urls{"http://h.test/dir/n.html", "http://h.test/dir/f.html"}));
  LinkOptions respect;
  respect.respect_nofollow = true;
  EXPECT_EQ(links_of(html, "http://h.test/dir/page.html", respect),
            (Urls{"http://h.test/dir/f.html"}));
}

TEST(LinkExtractor, ParsesOnlyThePageUpToItsBound) {
  LinkOptions small;
  small.max_bytes = 64;
  const std::string html =
      "<a href=\"first.html\">1</a>" + std::string(100, ' ') + "<a href=\"second.html\">2</a>";
  const PageLinks links = extract_links(html, "http://h.test/", small);
  EXPECT_TRUE(links.is_truncated);
  EXPECT_EQ(links.urls, (Urls{"http://h.test/first.html"}));
}

// 100,000 nested elements would take gumbo minutes: the page is parsed up to depth 256.
TEST(LinkExtractor, ParsesADeeplyNestedPageOnlyToABoundedDepth) {
  for (const std::string open : {"<div>", "<b>", "<span><i>"}) {
    std::string deep = "<a href=\"shallow.html\">s</a>";
    for (int i = 0; i < 100'000; ++i) deep += open;
    deep += "<a href=\"deep.html\">d</a>";
    const PageLinks links = extract_links(deep, "http://h.test/", {});
    EXPECT_TRUE(links.is_truncated) << open;
    EXPECT_EQ(links.urls, (Urls{"http://h.test/shallow.html"})) << open;
  }
}

// What the depth scan must not count: elements closed by their end tags or by an ancestor's,
// void elements, implicitly closed ones, comments and raw text.
TEST(LinkExtractor, CountsOnlyTheNestingThatIsReallyThere) {
  std::string page;
  for (int i = 0; i < 5'000; ++i) {
    page +=
        "<div><span><b>x</div><p>para<li>item<img src=i.png><br><!-- <div><div> -->"
        "<script>var s = '<div><div><div>';</script><TEXTAREA><div></textarea>";
  }
  page += "<a href=\"end.html\">e</a>";
  const PageLinks links = extract_links(page, "http://h.test/", {});
  EXPECT_FALSE(links.is_truncated);
  EXPECT_EQ(links.urls, (Urls{"http://h.test/i.png", "http://h.test/end.html"}));
}

// End tags of elements that are not open must not make the scan search a deep stack each time.
TEST(LinkExtractor, HandlesStrayEndTagsUnderADeepStack) {
  std::string page;
  for (int i = 0; i < 255; ++i) page += "<div>";
  for (int i = 0; i < 200'000; ++i) page += "</q>";
  page += "<a href=\"end.html\">e</a>";
  const PageLinks links = extract_links(page, "http://h.test/", {});
  EXPECT_FALSE(links.is_truncated);
  EXPECT_EQ(links.urls, (Urls{"http://h.test/end.html"}));
}

TEST(LinkExtractor, SurvivesManyLinks) {
  std::string many;
  for (int i = 0; i < 10'000; ++i) many += "<a href=\"p" + std::to_string(i) + ".html\">x</a>";
  const Urls urls = links_of(many);
  ASSERT_EQ(urls.size(), 10'000u);
  EXPECT_EQ(urls.back(), "http://h.test/dir/p9999.html");
}

TEST(LinkExtractor, NeedsAnHttpPageToResolveAgainst) {
  EXPECT_TRUE(links_of("<a href=\"a.html\">a</a>", "file:///tmp/x.html").empty());
  EXPECT_TRUE(links_of("<a href=\"a.html\">a</a>", "not a url").empty());
}

TEST(LinkExtractor, RecognisesHtmlByContentTypeOnly) {
  EXPECT_TRUE(is_html("text/html"));
  EXPECT_TRUE(is_html("Text/HTML; charset=UTF-8"));
  EXPECT_TRUE(is_html("  text/html ;charset=x"));
  EXPECT_FALSE(is_html("text/plain"));
  EXPECT_FALSE(is_html("application/xhtml+xml"));
  EXPECT_FALSE(is_html("text/htmlx"));
  EXPECT_FALSE(is_html(""));
}

}  // namespace
}  // namespace dupipe::crawl
