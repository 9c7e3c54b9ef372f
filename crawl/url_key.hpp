// The crawl frontier's identity of a resource: url_key() maps the spellings of one http/https URL
// (case of scheme and host, default port, dot segments, needless percent-encoding, fragment) to one
// key, so the seen set fetches each resource once; the URL as found is still what gets fetched.
// trap_reason() says when a key looks like a crawler trap (ever-growing or looping paths).
// Pure functions over values, thread-safe. A key keeps the URL's credentials (see url_key.cpp), so
// it is as sensitive as the URL: pass it through redact_credentials before logging it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/error.hpp"

namespace dupipe::crawl {

// The canonical key of an absolute http or https URL (RFC 3986 section 6.2.2 and 6.2.3):
// scheme and host lower-cased, the default port (http 80, https 443) dropped, percent-encoded
// unreserved characters decoded and the hex of every other percent-encoding upper-cased, dot
// segments removed, the fragment dropped, an empty path written "/". The path's case, the query
// (its order and case) and the user information are kept. An error, naming the URL and the cause,
// for anything else: a relative reference, another scheme, a URL libcurl cannot parse.
[[nodiscard]] Expected<std::string> url_key(std::string_view url);

// Where a key's path starts, just after "scheme://authority" ("http://h:81/a" -> 11); key.size()
// when it has none (a key from url_key always has one).
[[nodiscard]] std::size_t path_start(std::string_view key);

// Trap limits, checked on keys, in this order.
// 2,083 bytes: Internet Explorer's old URL limit, which crawlers keep as theirs (Scrapy's
// URLLENGTH_LIMIT default); longer URLs are mostly generated ones.
inline constexpr std::size_t kMaxKeyBytes = 2083;
// 20 path segments: Heritrix's TooManyPathSegmentsDecideRule default. A segment is what follows
// each '/' of the path, so "/" has 1 (empty) segment and "/a/b/" has 3 ("a", "b", "").
inline constexpr std::size_t kMaxPathSegments = 20;
// A segment's text may occur at most 3 times anywhere in the path (the crawl issue's limit;
// Heritrix allows 2 consecutive repeats). "Anywhere" also catches loops of several segments, such
// as /a/b/a/b/a/b/a/b from relative links between two directories, which consecutive-only misses.
// Empty segments count too: "////" is the same empty segment 4 times.
inline constexpr std::size_t kMaxSegmentRepeats = 3;

// "url length", "path segments" or "repeated segment" when `key` (from url_key) breaks the
// corresponding limit above, else nullopt. The view is of a string literal.
[[nodiscard]] std::optional<std::string_view> trap_reason(std::string_view key);

}  // namespace dupipe::crawl
