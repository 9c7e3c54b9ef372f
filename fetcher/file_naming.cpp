#include "fetcher/file_naming.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "common/base/text.hpp"

namespace dupipe::fetcher {
namespace {

bool is_safe_byte(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

// A usable extension: a dot followed by 1-8 letters or digits at the end of the name.
bool has_extension(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  const std::string_view ext = name.substr(dot + 1);
  return !ext.empty() && ext.size() <= 8 && std::all_of(ext.begin(), ext.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c));
  });
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kExtensions{{
    {"image/jpeg", ".jpg"},
    {"image/png", ".png"},
    {"image/gif", ".gif"},
    {"image/tiff", ".tiff"},
    {"image/svg+xml", ".svg"},
    {"image/webp", ".webp"},
    {"application/postscript", ".eps"},
    {"application/pdf", ".pdf"},
    {"text/html", ".html"},
    {"text/plain", ".txt"},
    {"text/css", ".css"},
    {"text/csv", ".csv"},
    {"application/json", ".json"},
    {"application/xml", ".xml"},
    {"text/xml", ".xml"},
    {"application/zip", ".zip"},
    {"application/gzip", ".gz"},
    {"application/x-tar", ".tar"},
    {"application/javascript", ".js"},
    {"text/javascript", ".js"},
    {"video/mp4", ".mp4"},
    {"audio/mpeg", ".mp3"},
}};

}  // namespace

std::string last_path_segment(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  std::string_view rest = scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const std::size_t path_start = rest.find('/');
  if (path_start == std::string_view::npos) return "";
  const std::string_view path = rest.substr(path_start);
  return percent_decode(path.substr(path.rfind('/') + 1));
}

std::string sanitize_segment(std::string_view segment) {
  std::string out;
  for (const char c : segment) out += is_safe_byte(c) ? c : '_';
  out.erase(0, out.find_first_not_of('.'));
  if (out.find_first_not_of('.') == std::string::npos) out.clear();
  if (out.size() > kMaxSegmentBytes) {
    // Keep the extension: "long...name.tar" stays recognisable after truncation.
    const std::size_t dot = out.rfind('.');
    const std::string ext = has_extension(out) ? out.substr(dot) : "";
    out = out.substr(0, kMaxSegmentBytes - ext.size()) + ext;
  }
  return out;
}

std::string extension_for_content_type(std::string_view content_type) {
  const std::string type = ascii_lower(content_type.substr(0, content_type.find(';')));
  const std::string_view trimmed = std::string_view(type).substr(0, type.find_last_not_of(' ') + 1);
  for (const auto& [mime, ext] : kExtensions) {
    if (trimmed == mime) return std::string(ext);
  }
  return "";
}

std::string build_file_name(std::string_view id, std::string_view url,
                            std::string_view content_type) {
  return build_file_name(id, url, content_type, "");
}

std::string build_file_name(std::string_view id, std::string_view url,
                            std::string_view content_type, std::string_view suggested_name) {
  std::string segment = sanitize_segment(suggested_name);
  if (segment.empty()) segment = sanitize_segment(last_path_segment(url));
  // The id arrives over the wire too: a hostile upstream must not smuggle "../" through it.
  std::string name = sanitize_segment(id.substr(0, 32));
  if (name.empty()) name = "file";
  if (!segment.empty()) name += "-" + segment;
  if (!has_extension(segment)) name += extension_for_content_type(content_type);
  return name;
}

}  // namespace dupipe::fetcher
