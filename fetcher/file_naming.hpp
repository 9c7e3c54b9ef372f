// Builds the local name of a downloaded file. Nothing from the server or the URL is used
// unsanitised: the name is "<id>-<last path segment>", both parts reduced to [A-Za-z0-9._-], with
// an extension from the URL or, failing that, from the Content-Type (as the seed's
// find_image_format guessed one). It never contains '/', never starts with '.', and is short.
#pragma once

#include <string>
#include <string_view>

namespace dupipe::fetcher {

inline constexpr std::size_t kMaxSegmentBytes = 100;

// The last segment of the URL's path, percent-decoded (empty for "http://host/").
[[nodiscard]] std::string last_path_segment(std::string_view url);

// Replaces every byte outside [A-Za-z0-9._-] with '_', drops leading dots, truncates.
[[nodiscard]] std::string sanitize_segment(std::string_view segment);

// ".png" for "image/png; charset=x", "" when unknown.
[[nodiscard]] std::string extension_for_content_type(std::string_view content_type);

[[nodiscard]] std::string build_file_name(std::string_view id, std::string_view url,
                                          std::string_view content_type);

// As above, but a server-suggested name (Content-Disposition) replaces the URL's last segment
// when anything is left of it after the same sanitising; the "<id>-" prefix always stays.
[[nodiscard]] std::string build_file_name(std::string_view id, std::string_view url,
                                          std::string_view content_type,
                                          std::string_view suggested_name);

}  // namespace dupipe::fetcher
