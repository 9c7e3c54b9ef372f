#include "fetcher/content_range.hpp"

#include <charconv>

namespace dupipe::fetcher {
namespace {

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

// Strips a case-insensitive "bytes " unit; nullopt if the unit is another one.
std::optional<std::string_view> after_bytes_unit(std::string_view value) {
  value = trim_header_value(value);
  constexpr std::string_view kUnit = "bytes ";
  if (value.size() < kUnit.size()) return std::nullopt;
  for (std::size_t i = 0; i < kUnit.size(); ++i) {
    if ((value[i] | 0x20) != kUnit[i]) return std::nullopt;
  }
  return trim_header_value(value.substr(kUnit.size()));
}

}  // namespace

std::string_view trim_header_value(std::string_view value) {
  const std::size_t begin = value.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return value.substr(begin, value.find_last_not_of(" \t\r\n") - begin + 1);
}

std::optional<ContentRange> parse_content_range(std::string_view value) {
  const auto spec = after_bytes_unit(value);
  if (!spec) return std::nullopt;
  const std::size_t dash = spec->find('-');
  const std::size_t slash = spec->find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  const auto first = parse_decimal(spec->substr(0, dash));
  const auto last = parse_decimal(spec->substr(dash + 1, slash - dash - 1));
  const std::string_view total_text = spec->substr(slash + 1);
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange range{*first, *last, std::nullopt};
  if (total_text != "*") {
    range.total = parse_decimal(total_text);
    if (!range.total || *last >= *range.total) return std::nullopt;
  }
  return range;
}

std::optional<std::uint64_t> parse_unsatisfied_range(std::string_view value) {
  const auto spec = after_bytes_unit(value);
  if (!spec || !spec->starts_with("*/")) return std::nullopt;
  return parse_decimal(spec->substr(2));
}

std::optional<std::uint64_t> parse_retry_after(std::string_view value) {
  return parse_decimal(trim_header_value(value));
}

}  // namespace dupipe::fetcher
