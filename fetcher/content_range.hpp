// Parsing of the response headers that decide how a body may be written: Content-Range of a 206
// (which bytes this body holds) and Retry-After. Pure functions over header text.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dupipe::fetcher {

// "bytes FIRST-LAST/TOTAL" of a 206; TOTAL may be "*" (unknown).
struct ContentRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
  std::optional<std::uint64_t> total;
  [[nodiscard]] std::uint64_t length() const { return last - first + 1; }
};

// nullopt for anything malformed, a multi-range answer, last < first or last >= total.
[[nodiscard]] std::optional<ContentRange> parse_content_range(std::string_view value);

// "bytes */TOTAL" of a 416.
[[nodiscard]] std::optional<std::uint64_t> parse_unsatisfied_range(std::string_view value);

// Retry-After in seconds (delta form only; an HTTP date is treated as absent).
[[nodiscard]] std::optional<std::uint64_t> parse_retry_after(std::string_view value);

// Removes surrounding spaces and TABs (header values arrive with them and a CRLF).
[[nodiscard]] std::string_view trim_header_value(std::string_view value);

}  // namespace dupipe::fetcher
