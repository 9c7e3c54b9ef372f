#include "crawl/url_key.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/base/text.hpp"
#include "common/os/c_handles.hpp"
#include "common/protocol/redaction.hpp"
#include "common/protocol/url_intake.hpp"

namespace dupipe::crawl {
namespace {

// What libcurl 7.88's URL API does for us, as tests/unit/crawl/url_key_test.cpp pins down: it
// lower-cases the scheme, removes literal dot segments, writes an empty path as "/", and with
// CURLU_NO_DEFAULT_PORT reports no port for http:80 and https:443. It keeps the host's case and
// every percent-encoding as written, so those are done here.

// An error names the URL (credentials masked: errors reach logs and reports), cut so that a
// megabyte-long URL does not make a megabyte-long message.
tl::unexpected<Error> key_error(std::string_view url, std::string_view cause) {
  constexpr std::size_t kMaxQuotedBytes = 256;
  const std::string shown = redact_credentials(url);
  std::string message = shown.substr(0, kMaxQuotedBytes);
  if (shown.size() > kMaxQuotedBytes) message += "... (" + std::to_string(url.size()) + " bytes)";
  return fail(message + ": " + std::string(cause));
}

// The components a key is made of, as libcurl parsed them (still percent-encoded).
struct UrlParts {
  std::string scheme;
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::string host;  // "[...]" for IPv6, without the zone id
  std::optional<std::string> zone_id;
  std::optional<std::string> port;  // absent when it is the scheme's default
  std::string path;
  std::optional<std::string> query;
};

bool is_absent(CURLUcode rc) {
  return rc == CURLUE_NO_USER || rc == CURLUE_NO_PASSWORD || rc == CURLUE_NO_ZONEID ||
         rc == CURLUE_NO_PORT || rc == CURLUE_NO_QUERY;
}

// One component; nullopt when the URL has none. Any other failure (out of memory) is an error,
// never an absent component: a dropped query would merge different resources.
Expected<std::optional<std::string>> read_part(CURLU* handle, CURLUPart part, unsigned int flags) {
  char* text = nullptr;
  const CURLUcode rc = curl_url_get(handle, part, &text, flags);
  const CurlString owned(text);
  if (rc == CURLUE_OK) return std::optional<std::string>(text);
  if (is_absent(rc)) return std::optional<std::string>();
  return fail(std::string("cannot read a URL component: ") + curl_url_strerror(rc));
}

Expected<UrlParts> read_parts(CURLU* handle) {
  UrlParts parts;
  // Scheme, host and path: always there once libcurl has parsed an http or https URL.
  for (auto [part, target] :
       {std::pair{CURLUPART_SCHEME, &parts.scheme}, std::pair{CURLUPART_HOST, &parts.host},
        std::pair{CURLUPART_PATH, &parts.path}}) {
    auto value = read_part(handle, part, 0);
    if (!value) return tl::unexpected(std::move(value.error()));
    if (!value->has_value()) return fail("URL has no scheme, host or path");
    *target = std::move(**value);
  }
  for (auto [part, target] :
       {std::pair{CURLUPART_USER, &parts.user}, std::pair{CURLUPART_PASSWORD, &parts.password},
        std::pair{CURLUPART_ZONEID, &parts.zone_id}, std::pair{CURLUPART_PORT, &parts.port},
        std::pair{CURLUPART_QUERY, &parts.query}}) {
    auto value = read_part(handle, part, CURLU_NO_DEFAULT_PORT);
    if (!value) return tl::unexpected(std::move(value.error()));
    *target = std::move(*value);
  }
  return parts;
}

Expected<UrlParts> parse(std::string_view url) {
  auto handle = parse_curl_url(url);
  if (!handle) return tl::unexpected(std::move(handle.error()));
  return read_parts(handle->get());
}

bool is_unreserved(char c) {  // RFC 3986 section 2.3
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// RFC 3986 section 6.2.2.2: %XX of an unreserved character is that character; any other %XX is
// kept with its hex upper-cased. A '%' not followed by two hex digits is left as written: it is
// not an encoding, and rewriting it as %25 would guess at what the server makes of it.
std::string normalise_percent(std::string_view text) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int octet = escaped_octet_at(text, i);
    if (octet < 0) {
      out += text[i];
      continue;
    }
    const auto decoded = static_cast<char>(octet);
    if (is_unreserved(decoded)) {
      out += decoded;
    } else {
      out += {'%', kHex[static_cast<std::size_t>(octet >> 4)],
              kHex[static_cast<std::size_t>(octet & 0xF)]};
    }
    i += 2;
  }
  return out;
}

// Drops the last segment of `output` and the '/' before it (RFC 3986 section 5.2.4, step C).
void drop_last_segment(std::string& output) {
  const std::size_t slash = output.rfind('/');
  output.erase(slash == std::string::npos ? 0 : slash);
}

// RFC 3986 section 5.2.4, step by step. libcurl already did this at parse time, but decoding
// %2E makes new dot segments ("/a/%2E%2E/b"), and section 6.2.2 normalises encodings first.
// `input` shrinks from the front; "replace the prefix with '/'" keeps the view's first '/'.
std::string remove_dot_segments(std::string_view input) {
  std::string output;
  while (!input.empty()) {
    if (input.starts_with("../")) {
      input.remove_prefix(3);
    } else if (input.starts_with("./") || input.starts_with("/./")) {
      input.remove_prefix(2);
    } else if (input == "/.") {
      input = input.substr(0, 1);
    } else if (input.starts_with("/../") || input == "/..") {
      input = input.size() == 3 ? input.substr(0, 1) : input.substr(3);
      drop_last_segment(output);
    } else if (input == "." || input == "..") {
      input = {};
    } else {
      const std::size_t end = std::min(input.find('/', 1), input.size());
      output.append(input.substr(0, end));
      input.remove_prefix(end);
    }
  }
  return output;
}

// The user information is kept in the key. Dropping it would save a fetch when two links differ
// only in credentials, but it silently merges different users' views: "alice@host/inbox" and
// "bob@host/inbox" are different resources to the server, and the crawl would fetch only the
// first it met. An empty one ("http://@host/", "http://:@host/") carries no credentials: none.
std::string userinfo(const UrlParts& parts) {
  const std::string user = normalise_percent(parts.user.value_or(""));
  const std::string password = normalise_percent(parts.password.value_or(""));
  if (user.empty() && password.empty()) return "";
  std::string text = user;
  if (!password.empty()) text.append(":").append(password);
  text.append("@");
  return text;
}

std::string host_with_zone(const UrlParts& parts) {
  std::string host = ascii_lower(parts.host);
  // A link-local IPv6 address names a different host on each interface, so the zone stays.
  if (parts.zone_id && host.ends_with(']')) {
    std::string zone = "%25";
    host.insert(host.size() - 1, zone.append(*parts.zone_id));
  }
  return host;
}

// Appends, not operator+ chains: g++ 12 -O2 warns falsely on `":" + string` (GCC bug 105329).
std::string assemble_key(const UrlParts& parts) {
  std::string key = parts.scheme;
  key.append("://").append(userinfo(parts)).append(host_with_zone(parts));
  if (parts.port) key.append(":").append(*parts.port);
  const std::string path = remove_dot_segments(normalise_percent(parts.path));
  key.append(path.empty() ? "/" : path);
  // libcurl 7.88 reports an empty query ("http://h/?") as a query, but drops it when it writes
  // the URL it fetches; the key does the same, so "/?" and "/" are one resource.
  if (parts.query && !parts.query->empty()) key.append("?").append(normalise_percent(*parts.query));
  return key;
}

// The path of a key: from its start up to the query.
std::string_view path_of(std::string_view key) {
  const std::string_view rest = key.substr(path_start(key));
  return rest.substr(0, rest.find('?'));
}

// The segments of a path that starts with '/': what follows each '/'.
std::vector<std::string_view> segments_of(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    path.remove_prefix(1);  // the '/'
    const std::size_t end = std::min(path.find('/'), path.size());
    segments.push_back(path.substr(0, end));
    path.remove_prefix(end);
  }
  return segments;
}

bool has_repeated_segment(const std::vector<std::string_view>& segments) {
  // Quadratic, but only ever run on at most kMaxPathSegments segments.
  return std::any_of(segments.begin(), segments.end(), [&](std::string_view segment) {
    return static_cast<std::size_t>(std::count(segments.begin(), segments.end(), segment)) >
           kMaxSegmentRepeats;
  });
}

}  // namespace

Expected<std::string> url_key(std::string_view url) {
  // The intake's rules first (printable ASCII, http/https, "//" and a host): a key is made only of
  // what the fetcher would also accept. The length limit is not the intake's: an overlong URL
  // gets a key, so that trap_reason can tell why it is not fetched.
  if (auto ok =
          validate_url(url, UrlPolicy{.allow_file = false, .max_url_bytes = kMaxListLineBytes});
      !ok) {
    return key_error(url, ok.error().message);
  }
  auto parts = parse(url);
  if (!parts) return key_error(url, parts.error().message);
  return assemble_key(*parts);
}

std::optional<std::string_view> trap_reason(std::string_view key) {
  if (key.size() > kMaxKeyBytes) return "url length";
  const std::vector<std::string_view> segments = segments_of(path_of(key));
  if (segments.size() > kMaxPathSegments) return "path segments";
  if (has_repeated_segment(segments)) return "repeated segment";
  return std::nullopt;
}

std::size_t path_start(std::string_view key) {
  const std::size_t scheme_end = key.find("://");
  return std::min(key.find('/', scheme_end == std::string_view::npos ? 0 : scheme_end + 3),
                  key.size());
}

}  // namespace dupipe::crawl
