// Hexadecimal helpers shared by the codec, ids, digests and URL decoding.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace dupipe {

inline constexpr char kHexDigits[] = "0123456789abcdef";

// Lowercase hex of the bytes.
[[nodiscard]] inline std::string to_hex(std::span<const unsigned char> bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const unsigned char byte : bytes) {
    hex += kHexDigits[byte >> 4];
    hex += kHexDigits[byte & 0x0f];
  }
  return hex;
}

// Value of one hex digit (either case), or -1.
[[nodiscard]] constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace dupipe
