#include "crawl/link_extractor.hpp"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "common/base/text.hpp"
#include "common/os/c_handles.hpp"
#include "common/protocol/url_intake.hpp"
#include "crawl/gumbo_tree.hpp"

namespace dupipe::crawl {
namespace {

// HTML's white space: ASCII's without the vertical tab.
constexpr std::string_view kHtmlSpace = " \t\n\f\r";

bool is_html_space(char c) { return kHtmlSpace.find(c) != std::string_view::npos; }

std::string_view strip(std::string_view text) { return trim(text, kHtmlSpace); }

// Whether a space-separated token list (rel, a meta robots content split on commas too) holds
// `token`, compared case-insensitively.
bool has_token(std::string_view list, std::string_view token) {
  std::string text = ascii_lower(list);
  std::replace(text.begin(), text.end(), ',', ' ');
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t begin = text.find_first_not_of(" \t\n\f\r", at);
    if (begin == std::string::npos) break;
    const std::size_t end = std::min(text.find_first_of(" \t\n\f\r", begin), text.size());
    if (std::string_view(text).substr(begin, end - begin) == token) return true;
    at = end;
  }
  return false;
}

// What a browser does to an attribute value before parsing it as a URL, so that the result is
// the printable ASCII the producer accepts: tabs and newlines inside are removed (WHATWG URL),
// a backslash before the query is a slash (as in browsers, for http and https), and other bytes
// that may not appear in a URL (controls, space, non-ASCII, "<>^`{|}) are percent-encoded as
// UTF-8 octets; '%' is left alone, so an encoded reference stays as it was.
std::string clean_reference(std::string_view value) {
  std::string out;
  bool is_in_query = false;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '?' || c == '#') is_in_query = true;
    if (c == '\\' && !is_in_query) {
      out += '/';
      continue;
    }
    constexpr std::string_view kUnsafe = " \"<>\\^`{|}";
    if (byte < 0x20 || byte >= 0x7F || kUnsafe.find(c) != std::string_view::npos) {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

// The scheme of an absolute reference (RFC 3986 3.1), lower-cased; empty for a relative one.
std::string scheme_of(std::string_view reference) {
  const std::size_t colon = reference.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  if (!std::isalpha(static_cast<unsigned char>(reference[0]))) return {};
  for (const char c : reference.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return {};
  }
  return ascii_lower(reference.substr(0, colon));
}

bool is_printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7F && c != '\\';
  });
}

// The URL as libcurl writes it; nullopt unless that is the printable ASCII the producer accepts.
// libcurl percent-decodes a host ("//caf%C3%A9.test/" names café.test) and 7.88's CURLU_PUNYCODE
// fails (CURLUE_OUT_OF_MEMORY, tried here), so a link to a host named in Unicode, or in bytes
// that are not UTF-8, is dropped rather than passed on as a URL that no stage could fetch.
std::optional<std::string> url_of(CURLU* handle) {
  char* text = nullptr;
  if (curl_url_get(handle, CURLUPART_URL, &text, 0) != CURLUE_OK) return std::nullopt;
  const CurlString owned(text);
  if (!is_printable_ascii(text)) return std::nullopt;
  return std::string(text);
}

// The http or https URL held by `handle`, without its fragment; nullopt for another scheme.
std::optional<std::string> http_url_of(CURLU* handle) {
  if (curl_url_set(handle, CURLUPART_FRAGMENT, nullptr, 0) != CURLUE_OK) return std::nullopt;
  char* scheme = nullptr;
  if (curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) return std::nullopt;
  const CurlString owned_scheme(scheme);
  const std::string lowered = ascii_lower(scheme);
  if (lowered != "http" && lowered != "https") return std::nullopt;
  return url_of(handle);
}

// A document's base URL, parsed once: each link is resolved on a copy of its handle.
struct BaseUrl {
  std::string text;  // as libcurl writes it, without fragment
  CurlUrl handle;
};

std::optional<BaseUrl> base_url(std::string_view url) {
  auto handle = parse_curl_url(url);
  if (!handle) return std::nullopt;
  auto text = http_url_of(handle->get());
  if (!text) return std::nullopt;
  return BaseUrl{std::move(*text), std::move(*handle)};
}

// `value` resolved against `base`, fragment dropped; nullopt when it is not an http or https URL
// or does not parse.
std::optional<std::string> resolve(const BaseUrl& base, std::string_view value) {
  const std::string reference = clean_reference(strip(value));
  if (reference.empty()) return std::nullopt;  // the page itself
  const std::string scheme = scheme_of(reference);
  if (!scheme.empty() && scheme != "http" && scheme != "https") return std::nullopt;
  // libcurl 7.88 resolves "#x" against the base's directory, not the base document (RFC 3986
  // 5.2.2 keeps the path and query): a reference to a fragment only is the base document.
  if (reference.front() == '#') return base.text;
  const CurlUrl handle(curl_url_dup(base.handle.get()));
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, reference.c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  return http_url_of(handle.get());
}

// srcset (HTML "parse a srcset attribute"): candidates separated by commas, each a URL followed
// by optional descriptors ("2x", "640w"); a URL may itself hold commas, but not end with one.
std::vector<std::string_view> srcset_urls(std::string_view srcset) {
  std::vector<std::string_view> urls;
  std::size_t at = 0;
  while (at < srcset.size()) {
    while (at < srcset.size() && (is_html_space(srcset[at]) || srcset[at] == ',')) ++at;
    if (at >= srcset.size()) break;
    std::size_t end = at;
    while (end < srcset.size() && !is_html_space(srcset[end])) ++end;
    std::string_view url = srcset.substr(at, end - at);
    at = end;
    if (url.ends_with(',')) {
      while (url.ends_with(',')) url.remove_suffix(1);
    } else {  // descriptors, up to a comma outside parentheses
      int depth = 0;
      while (at < srcset.size() && (srcset[at] != ',' || depth > 0)) {
        depth += srcset[at] == '(' ? 1 : srcset[at] == ')' ? -1 : 0;
        ++at;
      }
    }
    if (!url.empty()) urls.push_back(url);
  }
  return urls;
}

// gumbo's tree construction takes time that grows with the nesting depth times the number of
// tags (8,000 nested <div>s: 0.6 s here; 100,000: minutes and gigabytes; 1,000 open elements
// and 400,000 stray end tags: 3.5 s), so a hostile page could stall a fetcher. Browsers cap the
// depth too (Chromium at 512). A page is parsed only up to the first tag that, by a quick scan,
// would open an element deeper than this.
constexpr std::size_t kMaxDepth = 256;

bool is_tag_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Elements that hold no content, or that a sibling closes without an end tag (p, li, td...):
// their nesting is bounded by the parser itself, so the scan does not count them.
bool opens_a_level(std::string_view name) {
  static constexpr std::string_view kNotCounted[] = {
      "area",   "base",     "br",     "col",      "embed",   "hr",   "img",  "input", "link",
      "meta",   "param",    "source", "track",    "wbr",     "p",    "li",   "dd",    "dt",
      "option", "optgroup", "rb",     "rt",       "rtc",     "rp",   "tr",   "td",    "th",
      "thead",  "tbody",    "tfoot",  "colgroup", "caption", "html", "head", "body"};
  return std::find(std::begin(kNotCounted), std::end(kNotCounted), name) == std::end(kNotCounted);
}

// Elements whose content is text up to their end tag, not markup.
bool holds_raw_text(std::string_view name) {
  return name == "script" || name == "style" || name == "textarea" || name == "title" ||
         name == "xmp" || name == "noembed" || name == "noframes" || name == "plaintext";
}

// Where "</name" (any case) starts in `html` from `from`, or npos.
std::size_t find_end_tag(std::string_view html, std::size_t from, std::string_view name) {
  for (std::size_t at = html.find("</", from); at != std::string_view::npos;
       at = html.find("</", at + 2)) {
    if (iequals(html.substr(at + 2, name.size()), name)) return at;
  }
  return std::string_view::npos;
}

// The length of the prefix of `html` that nests at most kMaxDepth elements deep, by a scan that
// follows start and end tags (an end tag closes up to its open element, as the parser would),
// skips comments and the text of raw-text elements; html.size() when the whole page does.
std::size_t bounded_prefix(std::string_view html) {
  std::vector<std::string> open;
  // How many of each name are open: an end tag of a name not open costs no search of the stack,
  // so the scan stays linear in the page (each element is pushed and popped once).
  std::unordered_map<std::string, std::size_t> open_count;
  std::size_t at = 0;
  while ((at = html.find('<', at)) != std::string_view::npos) {
    const std::size_t tag = at;
    ++at;
    if (html.substr(tag, 4) == "<!--") {
      const std::size_t end = html.find("-->", tag + 4);
      if (end == std::string_view::npos) break;
      at = end + 3;
      continue;
    }
    const bool is_end = at < html.size() && html[at] == '/';
    if (is_end) ++at;
    std::size_t name_end = at;
    while (name_end < html.size() && is_tag_name_char(html[name_end])) ++name_end;
    if (name_end == at) continue;  // not a tag: "<" in text, "<!doctype", "<?"
    const std::string name = ascii_lower(html.substr(at, name_end - at));
    at = name_end;
    if (is_end) {
      if (open_count[name] == 0) continue;
      while (open.back() != name) {
        --open_count[open.back()];
        open.pop_back();
      }
      --open_count[name];
      open.pop_back();
      continue;
    }
    if (holds_raw_text(name)) {
      at = find_end_tag(html, at, name);
      if (at == std::string_view::npos) break;
      continue;
    }
    if (!opens_a_level(name)) continue;
    if (open.size() == kMaxDepth) return tag;
    ++open_count[name];
    open.push_back(name);
  }
  return html.size();
}

const char* attribute(const GumboElement& element, const char* name) {
  const GumboAttribute* found = gumbo_get_attribute(&element.attributes, name);
  return found != nullptr ? found->value : nullptr;
}

// What one walk of the tree finds: the reference values, in document order, and what applies
// to all of them.
struct Found {
  std::vector<std::string_view> references;
  std::optional<std::string_view> base;
  bool is_nofollow = false;
};

bool is_robots_meta(const GumboElement& element) {
  const char* name = attribute(element, "name");
  if (name == nullptr) return false;
  const std::string lowered = ascii_lower(strip(name));
  return lowered == "robots" || lowered == "dupipe";
}

void visit(const GumboElement& element, const LinkOptions& options, Found& found) {
  auto take = [&](const char* name) {
    if (const char* value = attribute(element, name)) found.references.emplace_back(value);
  };
  auto take_srcset = [&] {
    if (const char* value = attribute(element, "srcset")) {
      for (std::string_view url : srcset_urls(value)) found.references.push_back(url);
    }
  };
  switch (element.tag) {
    case GUMBO_TAG_A:
    case GUMBO_TAG_AREA:
    case GUMBO_TAG_LINK: {
      const char* rel = attribute(element, "rel");
      if (options.respect_nofollow && rel != nullptr && has_token(rel, "nofollow")) return;
      take("href");
      return;
    }
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_SOURCE:
      take("src");
      take_srcset();
      return;
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_AUDIO:
      take("src");
      return;
    case GUMBO_TAG_BASE:
      if (const char* href = attribute(element, "href"); href != nullptr && !found.base) {
        found.base = href;
      }
      return;
    case GUMBO_TAG_META:
      if (const char* content = attribute(element, "content");
          content != nullptr && is_robots_meta(element) &&
          (has_token(content, "nofollow") || has_token(content, "none"))) {
        found.is_nofollow = true;
      }
      return;
    default:
      return;
  }
}

// Depth-first in document order, with a stack of its own: a hostile page may nest deeply.
// <template> contents are an inert fragment, not part of the document, and are not walked.
Found walk(const GumboNode* root, const LinkOptions& options) {
  Found found;
  std::vector<const GumboNode*> pending{root};
  while (!pending.empty()) {
    const GumboNode* node = pending.back();
    pending.pop_back();
    if (node->type != GUMBO_NODE_ELEMENT) continue;
    const GumboElement& element = node->v.element;
    visit(element, options, found);
    for (unsigned i = element.children.length; i-- > 0;) {
      pending.push_back(static_cast<const GumboNode*>(element.children.data[i]));
    }
  }
  return found;
}

}  // namespace

PageLinks extract_links(std::string_view html, std::string_view page_url,
                        const LinkOptions& options) {
  PageLinks links;
  std::string_view parsed = html.substr(0, options.max_bytes);
  parsed = parsed.substr(0, bounded_prefix(parsed));
  links.is_truncated = parsed.size() < html.size();
  const GumboTree tree = parse_markup(parsed);
  if (!tree) return links;
  const Found found = walk(tree->root, options);
  if (found.is_nofollow) {
    links.is_nofollow = true;
    return links;
  }
  std::optional<BaseUrl> base = base_url(page_url);
  if (!base) return links;  // not an http or https page: nothing to resolve against
  // A <base href> that does not resolve to an http or https URL is ignored, as a browser would
  // fall back to the document's URL.
  if (found.base) {
    if (auto resolved = resolve(*base, *found.base)) {
      if (auto declared = base_url(*resolved)) base = std::move(declared);
    }
  }
  std::unordered_set<std::string> seen;
  for (const std::string_view reference : found.references) {
    std::optional<std::string> url = resolve(*base, reference);
    if (url && seen.insert(*url).second) links.urls.push_back(std::move(*url));
  }
  return links;
}

bool is_html(std::string_view content_type) {
  const std::string_view media_type = strip(content_type.substr(0, content_type.find(';')));
  return ascii_lower(media_type) == "text/html";
}

struct LinkResolver::Base {
  BaseUrl url;
};

LinkResolver::LinkResolver(std::unique_ptr<Base> base) : base_(std::move(base)) {}
LinkResolver::LinkResolver(LinkResolver&&) noexcept = default;
LinkResolver& LinkResolver::operator=(LinkResolver&&) noexcept = default;
LinkResolver::~LinkResolver() = default;

std::optional<LinkResolver> LinkResolver::make(std::string_view url) {
  auto base = base_url(url);
  if (!base) return std::nullopt;
  return LinkResolver(std::make_unique<Base>(Base{std::move(*base)}));
}

std::optional<std::string> LinkResolver::resolve(std::string_view reference) const {
  return crawl::resolve(base_->url, reference);
}

}  // namespace dupipe::crawl
