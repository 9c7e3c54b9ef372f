// Masking passwords in URLs before text reaches a log, a report or the live counters. Plain string
// work, in its own file so that a stage which only logs does not link libcurl (url_intake does).
#pragma once

#include <string>
#include <string_view>

namespace dupipe {

// Every "scheme://user:password@" in `text` with the password replaced by "***" (the user name
// stays, so a reader can tell which account). Used on everything dupipe logs or reports; the
// U record itself keeps the credentials, because the fetcher needs them.
[[nodiscard]] std::string redact_credentials(std::string_view text);

}  // namespace dupipe
