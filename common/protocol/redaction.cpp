#include "common/protocol/redaction.hpp"

namespace dupipe {

std::string redact_credentials(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t done = 0;
  // An authority ending in ':' may be the scheme of the next URL ("h://u:p@x://v:q@y").
  const auto next_mark = [&] {
    return text.find("://", done > 0 && text[done - 1] == ':' ? done - 1 : done);
  };
  for (std::size_t mark = text.find("://"); mark != std::string_view::npos; mark = next_mark()) {
    const std::size_t start = mark + 3;
    // The authority ends at the path, query or fragment, or at a byte no URL holds.
    std::size_t end = start;
    while (end < text.size() && std::string_view("/?#").find(text[end]) == std::string_view::npos &&
           static_cast<unsigned char>(text[end]) > 0x20 && text[end] != 0x7f) {
      ++end;
    }
    const std::string_view authority = text.substr(start, end - start);
    const std::size_t at = authority.rfind('@');
    const std::size_t colon = at == std::string_view::npos ? at : authority.substr(0, at).find(':');
    if (colon != std::string_view::npos && colon + 1 < at) {
      out.append(text.substr(done, start + colon + 1 - done));
      out += "***";
      done = start + at;
    }
    out.append(text.substr(done, end - done));
    done = end;
  }
  out.append(text.substr(done));
  return out;
}

}  // namespace dupipe
