// Which failures are worth another attempt and how long to wait before it. Transient: connect
// refused or reset, timeouts (including the low-speed abort), a body cut short, HTTP 408, 429 and
// 5xx. Permanent: other 4xx, TLS and certificate errors, too-large bodies, redirect loops, local
// file errors. Pure functions; the random jitter is passed in so tests can pin it.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dupipe::fetcher {

struct RetryOptions {
  int retries = 3;                     // attempts after the first
  std::uint64_t base_delay_ms = 1000;  // first wait; doubles per attempt
  std::uint64_t max_delay_ms = 60000;  // cap, also for Retry-After
};

[[nodiscard]] bool is_transient_curl_error(CURLcode code);
[[nodiscard]] bool is_transient_http_status(long status);

// Wait before attempt number `failed_attempts + 1`: base * 2^(failed_attempts - 1) stretched by
// `jitter` (0..1, giving +0..50 %), never shorter than Retry-After, never longer than the cap.
[[nodiscard]] std::uint64_t retry_delay_ms(const RetryOptions& options, int failed_attempts,
                                           std::optional<std::uint64_t> retry_after_s,
                                           double jitter);

// The failure of a URL after its attempts: "HTTP 503 (after 4 attempts)" or, when the causes
// differ, each cause in order. libcurl's "after N ms" is dropped from every cause: the report
// must not depend on how fast a refusal came back.
[[nodiscard]] std::string describe_attempts(const std::vector<std::string>& errors);

}  // namespace dupipe::fetcher
