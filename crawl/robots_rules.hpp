// What one host's robots.txt lets the crawler fetch (RFC 9309): the rules of the group that names
// our product token (else the "*" group), its Crawl-delay and the file's Sitemap lines. A pure
// value built once per host from the fetch's status and body, then asked per URL; immutable after
// construction, so one instance may be read from several threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dupipe::crawl {

class RobotsRules {
 public:
  // RFC 9309 2.5: a parser must read at least 500 KiB; what follows is ignored.
  static constexpr std::size_t kMaxBytes = 500 * 1024;
  // Nutch's bound: a host asking for more is still crawled, at this pace.
  static constexpr std::chrono::milliseconds kMaxCrawlDelay{30'000};

  // The rules of `body` for `product_token` (matched case-insensitively against the token that
  // starts each User-agent value, so "DuPipe/1.0" names "dupipe"; the groups of "*" when no group
  // names it). At most kMaxBytes are parsed.
  static RobotsRules parse(std::string_view body, std::string_view product_token);
  // RFC 9309 2.3.1: what a fetch of /robots.txt that ended with `status` means. 2xx: parse the
  // body; 3xx (the caller follows redirects and gives the final status, so a 3xx means more than
  // it follows) and 4xx: unavailable, allow all; 5xx, 0 (no answer at all) or anything else:
  // unreachable, disallow all.
  static RobotsRules for_status(int status, std::string_view body, std::string_view product_token);
  static RobotsRules allow_all();
  static RobotsRules disallow_all();

  // `path` is the URL's path and query ("/a/b?c"), as sent. /robots.txt itself is always allowed.
  [[nodiscard]] bool allows(std::string_view path) const;
  // Crawl-delay of the chosen group (a non-standard extension), capped at kMaxCrawlDelay; nullopt
  // when the group has none.
  [[nodiscard]] std::optional<std::chrono::milliseconds> crawl_delay() const {
    return crawl_delay_;
  }
  // The file asked for more than kMaxCrawlDelay: the caller logs that it was capped.
  [[nodiscard]] bool crawl_delay_was_capped() const { return crawl_delay_was_capped_; }
  // Sitemap: lines of the whole file (any group), as written; the caller validates them as URLs.
  [[nodiscard]] const std::vector<std::string>& sitemaps() const { return sitemaps_; }

 private:
  // One Allow or Disallow line, compiled: its path pattern percent-decoded and split at each "*".
  struct Rule {
    bool is_allow = false;
    std::vector<std::string> pieces;  // literal octets; a "*" stands between two pieces
    bool is_anchored = false;         // the pattern ended in "$"
    std::size_t length_octets = 0;    // specificity: decoded octets plus one per "*" and "$"
  };
  class Parser;  // reads the body line by line (robots_rules.cpp)

  RobotsRules() = default;
  static bool matches(const Rule& rule, std::string_view decoded_path);

  std::vector<Rule> rules_;
  std::optional<std::chrono::milliseconds> crawl_delay_;
  bool crawl_delay_was_capped_ = false;
  std::vector<std::string> sitemaps_;
};

}  // namespace dupipe::crawl
