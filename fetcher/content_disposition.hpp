// The file name a server suggests in Content-Disposition (RFC 6266): filename*=charset''pct-
// encoded wins over filename="quoted" or filename=token, and only its last path segment is kept.
// The result is still raw server text (it may be "..", hold control bytes or NUL): callers must
// pass it through build_file_name, which sanitises it like a URL segment.
#pragma once

#include <string>
#include <string_view>

namespace dupipe::fetcher {

// Empty when the header names no file.
[[nodiscard]] std::string disposition_filename(std::string_view header_value);

}  // namespace dupipe::fetcher
