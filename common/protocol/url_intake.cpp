#include "common/protocol/url_intake.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "common/os/c_handles.hpp"

namespace dupipe {
namespace {

std::string hex_byte(unsigned char byte) {
  std::array<char, 5> text{};
  std::snprintf(text.data(), text.size(), "0x%02x", byte);
  return text.data();
}

Expected<void> check_bytes(std::string_view url) {
  for (std::size_t i = 0; i < url.size(); ++i) {
    const auto byte = static_cast<unsigned char>(url[i]);
    const std::string where = " at offset " + std::to_string(i);
    if (byte == ' ') return fail("contains a space" + where + " (percent-encode it as %20)");
    // Not a URI character (RFC 3986), read as '/' by browsers, and the one printable byte the
    // record codec escapes: rejecting it keeps every U record within kMaxRecordBytes.
    if (byte == '\\') return fail("contains a backslash" + where + " (percent-encode it as %5C)");
    if (byte < 0x20 || byte == 0x7f) return fail("contains control byte " + hex_byte(byte) + where);
    if (byte >= 0x80)
      return fail("contains non-ASCII byte " + hex_byte(byte) + where + " (percent-encode it)");
  }
  return {};
}

// The scheme as written before ':' (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
std::string scheme_of(std::string_view url) {
  const std::size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0 ||
      !std::isalpha(static_cast<unsigned char>(url[0])))
    return "";
  const std::string_view scheme = url.substr(0, colon);
  const bool is_valid = std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
  if (!is_valid) return "";
  std::string lower(scheme);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// A scheme quoted in an error is cut: a 100,000-letter "scheme" must not become a 100 KB message.
std::string quoted_scheme(const std::string& scheme) {
  constexpr std::size_t kMaxQuoted = 32;
  std::string quoted = "'";
  quoted.append(scheme, 0, kMaxQuoted);
  if (scheme.size() <= kMaxQuoted) return quoted + "'";
  quoted += "...' (";
  quoted += std::to_string(scheme.size());
  quoted += " bytes)";
  return quoted;
}

Expected<void> check_scheme(const std::string& scheme, const UrlPolicy& policy) {
  if (scheme.empty()) return fail("missing scheme (expected http:// or https://)");
  if (scheme == "http" || scheme == "https") return {};
  if (scheme == "file") {
    if (policy.allow_file) return {};
    return fail("file:// URLs are refused without --allow-file");
  }
  return fail("unsupported scheme " + quoted_scheme(scheme) + " (only http and https)");
}

Expected<void> check_syntax(std::string_view url, const std::string& scheme) {
  auto parsed = parse_curl_url(url);
  if (!parsed) return tl::unexpected(std::move(parsed.error()));
  const CurlUrl& handle = *parsed;
  if (scheme == "file") return {};
  // libcurl 7.88 reads "http:/x" and "http:///x" as host "x"; RFC 3986 requires "//" + authority.
  const std::string_view rest = url.substr(scheme.size() + 1);
  if (!rest.starts_with("//") || rest.size() == 2 || rest[2] == '/' || rest[2] == '?' ||
      rest[2] == '#') {
    return fail("URL has no host (expected " + scheme + "://host/...)");
  }
  char* host = nullptr;
  const CURLUcode rc = curl_url_get(handle.get(), CURLUPART_HOST, &host, 0);
  const CurlString owned_host(host);
  if (rc != CURLUE_OK || host == nullptr || *host == '\0') return fail("URL has no host");
  return {};
}

}  // namespace

Expected<CurlUrl> parse_curl_url(std::string_view url) {
  CurlUrl handle(curl_url());
  if (!handle) return fail("out of memory parsing URL");
  const std::string text(url);
  if (const CURLUcode rc = curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), 0);
      rc != CURLUE_OK) {
    return fail(std::string("not a valid URL: ") + curl_url_strerror(rc));
  }
  return handle;
}

Expected<void> validate_url(std::string_view url, const UrlPolicy& policy) {
  if (url.size() >= kMaxListLineBytes) {  // cut by the list reader: the true length is unknown
    return fail("URL is at least " + std::to_string(kMaxListLineBytes) +
                " bytes long; the limit is " + std::to_string(policy.max_url_bytes));
  }
  if (url.size() > policy.max_url_bytes) {
    return fail("URL is " + std::to_string(url.size()) + " bytes long; the limit is " +
                std::to_string(policy.max_url_bytes));
  }
  if (auto ok = check_bytes(url); !ok) return ok;
  const std::string scheme = scheme_of(url);
  if (auto ok = check_scheme(scheme, policy); !ok) return ok;
  return check_syntax(url, scheme);
}

ClassifiedLine classify_line(std::string_view raw, const UrlPolicy& policy) {
  const std::string_view text = trim(raw);
  if (text.empty() || text.front() == '#') return {LineVerdict::kSkip, {}, {}};
  if (auto ok = validate_url(text, policy); !ok) {
    return {LineVerdict::kReject, std::string(text), ok.error().message};
  }
  return {LineVerdict::kAccept, std::string(text), {}};
}

}  // namespace dupipe
