// What happens to one line of a URL list: skipped (blank, # comment), accepted with a stable id,
// or rejected with a reason. Shared by the producer and by a fetcher fed bare lines (`cat`).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/base/error.hpp"
#include "common/base/text.hpp"  // trim, which callers of classify_line share
#include "common/os/c_handles.hpp"

namespace dupipe {

// The URL list reader keeps at most this many bytes of one line (the rest of a longer line is read
// and dropped), so one hostile line costs bounded memory and is still rejected as a line.
inline constexpr std::size_t kMaxListLineBytes = 1024 * 1024;

struct UrlPolicy {
  bool allow_file = false;  // accept file:// URLs (local files) as well as http/https
  std::size_t max_url_bytes = 2048;
};

// Checks the URL text: printable ASCII only, http/https (file with allow_file), parsable,
// with a host. The error says what is wrong and where.
[[nodiscard]] Expected<void> validate_url(std::string_view url, const UrlPolicy& policy);

// `url` parsed by libcurl's URL API, or an Error "not a valid URL: <libcurl's reason>". The one
// place the project turns URL text into a CURLU handle (validation, the crawl's key and links).
[[nodiscard]] Expected<CurlUrl> parse_curl_url(std::string_view url);

enum class LineVerdict { kSkip, kAccept, kReject };

struct ClassifiedLine {
  LineVerdict verdict = LineVerdict::kSkip;
  std::string text;    // trimmed line (the URL when accepted)
  std::string reason;  // why it was rejected
};

[[nodiscard]] ClassifiedLine classify_line(std::string_view raw, const UrlPolicy& policy);

}  // namespace dupipe
