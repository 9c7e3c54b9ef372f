#include "common/protocol/record_codec.hpp"

#include "common/base/hex.hpp"

namespace dupipe {
namespace {

void append_escaped(std::string& out, unsigned char byte) {
  switch (byte) {
    case '\\':
      out += "\\\\";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    default:
      break;
  }
  if (byte < 0x20 || byte == 0x7f) {
    out += "\\x";
    out += kHexDigits[byte >> 4];
    out += kHexDigits[byte & 0x0f];
  } else {
    out += static_cast<char>(byte);
  }
}

}  // namespace

std::string escape_field(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (const char c : raw) append_escaped(out, static_cast<unsigned char>(c));
  return out;
}

Expected<std::string> unescape_field(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    const char c = escaped[i];
    if (c == '\t' || c == '\n' || c == '\r') return fail("unescaped control byte in field");
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == escaped.size()) return fail("field ends with a lone backslash");
    switch (escaped[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'x': {
        const int high = i + 1 < escaped.size() ? hex_value(escaped[i + 1]) : -1;
        const int low = i + 2 < escaped.size() ? hex_value(escaped[i + 2]) : -1;
        if (high < 0 || low < 0) return fail("bad \\x escape in field");
        out += static_cast<char>((high << 4) | low);
        i += 2;
        break;
      }
      default:
        return fail(std::string("unknown escape \\") + escaped[i] + " in field");
    }
  }
  return out;
}

Expected<std::string> encode_fields(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += '\t';
    line += escape_field(fields[i]);
  }
  if (line.size() + 1 > kMaxRecordBytes) {
    return fail("record of " + std::to_string(line.size() + 1) + " bytes exceeds the " +
                std::to_string(kMaxRecordBytes) + "-byte limit");
  }
  return line;
}

Expected<std::vector<std::string>> decode_fields(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string> fields;
  while (true) {
    const std::size_t tab = line.find('\t');
    auto field = unescape_field(line.substr(0, tab));
    if (!field) return tl::unexpected(field.error());
    fields.push_back(std::move(*field));
    if (tab == std::string_view::npos) break;
    line.remove_prefix(tab + 1);
  }
  return fields;
}

}  // namespace dupipe
