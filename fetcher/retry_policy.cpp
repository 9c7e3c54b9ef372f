#include "fetcher/retry_policy.hpp"

#include <algorithm>
#include <string_view>

namespace dupipe::fetcher {

bool is_transient_curl_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool is_transient_http_status(long status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

std::uint64_t retry_delay_ms(const RetryOptions& options, int failed_attempts,
                             std::optional<std::uint64_t> retry_after_s, double jitter) {
  const int doublings = std::clamp(failed_attempts - 1, 0, 30);
  const std::uint64_t exponential =
      std::min(options.max_delay_ms, options.base_delay_ms << static_cast<unsigned>(doublings));
  const double stretch = 1.0 + 0.5 * std::clamp(jitter, 0.0, 1.0);
  auto delay = static_cast<std::uint64_t>(static_cast<double>(exponential) * stretch);
  // RFC 9110: Retry-After is the least the client should wait.
  if (retry_after_s) delay = std::max(delay, *retry_after_s * 1000);
  return std::min(delay, options.max_delay_ms);
}

namespace {

// Removes every " after <digits> ms" and " after <digits> milliseconds" (libcurl's elapsed time
// in connect errors and in timeouts).
std::string without_elapsed_time(std::string text) {
  constexpr std::string_view kAfter = " after ";
  for (std::size_t at = text.find(kAfter); at != std::string::npos;
       at = text.find(kAfter, at + 1)) {
    std::size_t end = at + kAfter.size();
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    if (end == at + kAfter.size()) continue;
    for (const std::string_view unit : {" milliseconds", " ms"}) {
      if (text.compare(end, unit.size(), unit) == 0) {
        text.erase(at, end + unit.size() - at);
        break;
      }
    }
  }
  return text;
}

}  // namespace

std::string describe_attempts(const std::vector<std::string>& raw_errors) {
  if (raw_errors.empty()) return "failed";
  std::vector<std::string> errors;
  for (const std::string& error : raw_errors) errors.push_back(without_elapsed_time(error));
  if (errors.size() == 1) return errors.back();
  if (std::all_of(errors.begin(), errors.end(), [&](const auto& e) { return e == errors[0]; })) {
    return errors.back() + " (after " + std::to_string(errors.size()) + " attempts)";
  }
  std::string text = errors.back() + " (" + std::to_string(errors.size()) + " attempts: ";
  for (std::size_t i = 0; i < errors.size(); ++i) text += (i ? "; " : "") + errors[i];
  return text + ")";
}

}  // namespace dupipe::fetcher
