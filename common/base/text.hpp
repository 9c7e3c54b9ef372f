// ASCII text helpers shared by URL and header handling: locale-independent case (a URL's key or
// a header's name must not depend on the environment of the process) and percent-decoding.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "common/base/hex.hpp"

namespace dupipe {

[[nodiscard]] constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

[[nodiscard]] inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return ascii_lower(c); });
  return out;
}

// ASCII white space: the C locale's isspace.
inline constexpr std::string_view kAsciiSpace = " \t\n\v\f\r";

// `text` without the `spaces` around it.
[[nodiscard]] constexpr std::string_view trim(std::string_view text,
                                              std::string_view spaces = kAsciiSpace) {
  const std::size_t first = text.find_first_not_of(spaces);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(spaces) - first + 1);
}

// Equal but for the case of ASCII letters.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

// The octet a valid "%XX" at text[i] stands for; -1 when there is none there.
[[nodiscard]] constexpr int escaped_octet_at(std::string_view text, std::size_t i) {
  if (text[i] != '%' || i + 2 >= text.size()) return -1;
  const int high = hex_value(text[i + 1]);
  const int low = hex_value(text[i + 2]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

// "%41b%2F" -> "Ab/"; a '%' not followed by two hex digits is kept as written.
[[nodiscard]] inline std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int octet = escaped_octet_at(text, i);
    if (octet < 0) {
      out += text[i];
    } else {
      out += static_cast<char>(octet);
      i += 2;
    }
  }
  return out;
}

}  // namespace dupipe
