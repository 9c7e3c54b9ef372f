#include "crawl/sitemap.hpp"

#include <gumbo.h>

#include <memory>
#include <optional>
#include <utility>

#include "common/base/text.hpp"
#include "crawl/gumbo_tree.hpp"
#include "crawl/link_extractor.hpp"

namespace dupipe::crawl {
namespace {

// The name of an element as written ("loc", "sitemap"), lower-cased: XML's names are unknown to
// HTML, so gumbo keeps only the original tag text.
std::string name_of(const GumboElement& element) {
  if (element.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(element.tag);
  GumboStringPiece original = element.original_tag;
  gumbo_tag_from_original_text(&original);
  return ascii_lower(std::string_view(original.data, original.length));
}

// The text an element holds, its children's text nodes joined.
std::string text_of(const GumboElement& element) {
  std::string text;
  for (unsigned i = 0; i < element.children.length; ++i) {
    const auto* child = static_cast<const GumboNode*>(element.children.data[i]);
    if (child->type == GUMBO_NODE_TEXT || child->type == GUMBO_NODE_WHITESPACE) {
      text += child->v.text.text;
    }
  }
  return text;
}

}  // namespace

SitemapEntries parse_sitemap(std::string_view xml, std::string_view sitemap_url) {
  SitemapEntries entries;
  const auto resolver = LinkResolver::make(sitemap_url);
  if (!resolver) return entries;
  xml = xml.substr(0, kMaxSitemapBytes);
  const GumboTree tree = parse_markup(xml);
  if (!tree) return entries;
  // Depth first with an explicit stack (a hostile file may nest deeply), each element with the
  // name of its parent: a <loc> in a <sitemap> names a sitemap, any other a page.
  std::vector<std::pair<const GumboNode*, std::string>> pending{{tree->root, ""}};
  while (!pending.empty()) {
    auto [node, parent] = std::move(pending.back());
    pending.pop_back();
    if (node->type != GUMBO_NODE_ELEMENT) continue;
    const GumboElement& element = node->v.element;
    std::string name = name_of(element);
    if (name == "loc") {
      auto& list = parent == "sitemap" ? entries.sitemaps : entries.pages;
      if (list.size() >= kMaxSitemapUrls) continue;
      if (auto url = resolver->resolve(text_of(element))) list.push_back(std::move(*url));
      continue;
    }
    // Children pushed last first, so they come off the stack in document order.
    for (unsigned i = element.children.length; i-- > 0;) {
      pending.emplace_back(static_cast<const GumboNode*>(element.children.data[i]), name);
    }
  }
  return entries;
}

}  // namespace dupipe::crawl
