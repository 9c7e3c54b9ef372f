// How a file name (any bytes but NUL) is written losslessly into each output format: JSON needs
// UTF-8 (invalid names get a base64 twin), text and fdupes lists use the protocol's escaping,
// CSV uses RFC 4180 quoting, shell scripts single quotes. Pure functions, no state.
#pragma once

#include <string>
#include <string_view>

namespace dupipe::aggregator {

[[nodiscard]] bool is_valid_utf8(std::string_view bytes);

// RFC 4648 base64 with padding.
[[nodiscard]] std::string base64_encode(std::string_view bytes);

// One CSV field: quoted (with "" for ") when it holds a comma, quote, CR or LF, else as is.
[[nodiscard]] std::string csv_field(std::string_view bytes);

// A single-quoted POSIX shell word that expands to exactly these bytes ('\'' for a quote).
[[nodiscard]] std::string shell_quote(std::string_view bytes);

}  // namespace dupipe::aggregator
