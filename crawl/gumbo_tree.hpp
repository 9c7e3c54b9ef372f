// The owner of a gumbo parse tree, shared by the crawl's two readers of markup (a page's links,
// a sitemap's URLs).
#pragma once

#include <gumbo.h>

#include <memory>
#include <string_view>

namespace dupipe::crawl {

struct GumboOutputDeleter {
  void operator()(GumboOutput* output) const {
    gumbo_destroy_output(&kGumboDefaultOptions, output);  // owner
  }
};
using GumboTree = std::unique_ptr<GumboOutput, GumboOutputDeleter>;

// `text` parsed as an HTML5 document, with gumbo's default options.
[[nodiscard]] inline GumboTree parse_markup(std::string_view text) {
  return GumboTree(gumbo_parse_with_options(&kGumboDefaultOptions, text.data(), text.size()));
}

}  // namespace dupipe::crawl
