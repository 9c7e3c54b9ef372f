#include "aggregator/name_encoding.hpp"

#include <cstdint>

namespace dupipe::aggregator {
namespace {

// Length of the UTF-8 sequence starting with `lead`, or 0 when it cannot start one.
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

// The code point of a well-formed-looking sequence, or -1 when a continuation byte is wrong.
std::int32_t decode(std::string_view bytes, std::size_t length) {
  std::int32_t code = static_cast<unsigned char>(bytes[0]) & (0x7f >> length);
  for (std::size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if ((byte & 0xc0) != 0x80) return -1;
    code = (code << 6) | (byte & 0x3f);
  }
  return code;
}

// Rejects overlong forms, surrogates and values above U+10FFFF.
bool is_allowed(std::int32_t code, std::size_t length) {
  constexpr std::int32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kSmallest[length]) return false;
  if (code >= 0xd800 && code <= 0xdfff) return false;
  return code <= 0x10ffff;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t length = sequence_length(static_cast<unsigned char>(bytes[0]));
    if (length == 0 || length > bytes.size()) return false;
    if (length > 1) {
      const std::int32_t code = decode(bytes, length);
      if (code < 0 || !is_allowed(code, length)) return false;
    }
    bytes.remove_prefix(length);
  }
  return true;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = bytes.size() - i < 3 ? bytes.size() - i : 3;
    std::uint32_t chunk = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      chunk = (chunk << 8) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0u);
    }
    for (std::size_t j = 0; j < 4; ++j) {
      out += j <= n ? kAlphabet[(chunk >> (18 - 6 * j)) & 0x3f] : '=';
    }
  }
  return out;
}

std::string csv_field(std::string_view bytes) {
  if (bytes.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(bytes);
  std::string out = "\"";
  for (const char c : bytes) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string shell_quote(std::string_view bytes) {
  std::string out = "'";
  for (const char c : bytes) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace dupipe::aggregator
