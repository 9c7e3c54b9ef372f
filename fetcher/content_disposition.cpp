#include "fetcher/content_disposition.hpp"

#include <optional>

#include "common/base/text.hpp"
#include "fetcher/file_naming.hpp"

namespace dupipe::fetcher {
namespace {

// RFC 9110's optional white space.
constexpr std::string_view kOws = " \t";

// A quoted-string with backslash escapes, or a bare token up to ';'. Advances `rest`.
std::string take_value(std::string_view& rest) {
  std::string value;
  if (!rest.starts_with('"')) {
    const std::size_t end = rest.find(';');
    value = trim(rest.substr(0, end), kOws);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    return value;
  }
  std::size_t i = 1;
  for (; i < rest.size() && rest[i] != '"'; ++i) {
    if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
    value += rest[i];
  }
  rest = rest.substr(std::min(i + 1, rest.size()));
  return value;
}

// filename*=UTF-8''a%20b: drop charset and language, percent-decode the rest.
std::string decode_extended(std::string_view value) {
  const std::size_t quote = value.find("''");
  return percent_decode(quote == std::string_view::npos ? value : value.substr(quote + 2));
}

// RFC 6266 section 4.3: a recipient keeps the last path segment of a suggested name, as curl -J
// and aria2 do, so filename="../../x/report.pdf" names the file report.pdf. Either separator
// counts: a name written on Windows uses a backslash.
std::string last_segment(std::string name) {
  const std::size_t separator = name.find_last_of("/\\");
  return separator == std::string::npos ? name : name.substr(separator + 1);
}

}  // namespace

std::string disposition_filename(std::string_view header_value) {
  std::optional<std::string> plain;
  std::optional<std::string> extended;
  std::string_view rest = header_value;
  while (!rest.empty()) {
    const std::size_t semicolon = rest.find(';');
    if (semicolon == std::string_view::npos) break;
    rest = trim(rest.substr(semicolon + 1), kOws);
    const std::size_t equals = rest.find('=');
    if (equals == std::string_view::npos) break;
    const std::string name = ascii_lower(trim(rest.substr(0, equals), kOws));
    rest = trim(rest.substr(equals + 1), kOws);
    std::string value = take_value(rest);
    if (name == "filename*") extended = decode_extended(value);
    if (name == "filename") plain = std::move(value);
  }
  if (extended) return last_segment(std::move(*extended));
  return last_segment(plain.value_or(""));
}

}  // namespace dupipe::fetcher
