// The links a crawl follows from one page: parsed with an HTML5 parser (gumbo), as a browser
// builds the document, so nothing in a comment, a <script> or a <style> counts. Taken from
// a[href], area[href], link[href], img[src] and [srcset], source[src] and [srcset], iframe[src],
// video[src] and audio[src]; each value stripped of surrounding whitespace, resolved against the
// document's base URL (the first <base href>, itself resolved against the page's URL) per RFC
// 3986 with libcurl's URL API, its fragment dropped; only http and https are kept. A page whose
// <meta name="robots"> (or name="dupipe") says nofollow or none gives no links, as wget does.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dupipe::crawl {

struct LinkOptions {
  bool respect_nofollow = false;  // skip a link whose rel says nofollow (a, area, link)
  // Only the first max_bytes of a page are parsed: gumbo's tree takes several times the text, and
  // a page may be as large as --max-filesize.
  std::size_t max_bytes = 8 * 1024 * 1024;
};

struct PageLinks {
  std::vector<std::string> urls;  // absolute, in document order, each once
  bool is_nofollow = false;       // the page asked not to follow its links: urls is empty
  // Only a prefix was parsed: the page was longer than max_bytes, or its elements nest deeper
  // than 256 (gumbo's time grows with the depth times the tags); links past it are missing.
  bool is_truncated = false;
};

// `page_url` is the absolute URL the page was fetched from (after redirects).
[[nodiscard]] PageLinks extract_links(std::string_view html, std::string_view page_url,
                                      const LinkOptions& options);

// Resolves references against one base URL, parsed once, as extract_links() resolves a page's
// links (white space stripped, RFC 3986, fragment dropped, http and https only).
class LinkResolver {
 public:
  // nullopt when `base_url` is not an absolute http or https URL.
  [[nodiscard]] static std::optional<LinkResolver> make(std::string_view base_url);
  [[nodiscard]] std::optional<std::string> resolve(std::string_view reference) const;

  LinkResolver(LinkResolver&&) noexcept;
  LinkResolver& operator=(LinkResolver&&) noexcept;
  ~LinkResolver();

 private:
  struct Base;
  explicit LinkResolver(std::unique_ptr<Base> base);
  std::unique_ptr<Base> base_;
};

// Whether a Content-Type header value names an HTML document (text/html, whatever the URL's
// name ends in; parameters such as charset ignored).
[[nodiscard]] bool is_html(std::string_view content_type);

}  // namespace dupipe::crawl
