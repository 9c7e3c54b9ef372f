// Framing and escaping of the wire protocol (docs/PROTOCOL.md is its specification): one record
// per line, fields separated by TAB, every field escaped so no byte 0-255 can break framing.
// Only this component frames and escapes; every transport carries the lines it produces.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/error.hpp"

namespace dupipe {

// A record line, newline included, is at most this long: PIPE_BUF on Linux, so one write(2) of a
// record to a FIFO is atomic and records of concurrent writers never interleave.
inline constexpr std::size_t kMaxRecordBytes = 4096;

// Backslash, TAB, LF, CR become \\ \t \n \r; other bytes below 0x20 and 0x7F become \xHH.
// Bytes 0x80-0xFF pass unchanged (paths need not be UTF-8).
[[nodiscard]] std::string escape_field(std::string_view raw);
[[nodiscard]] Expected<std::string> unescape_field(std::string_view escaped);

// Joins escaped fields with TAB; no trailing newline. Fails if the line plus its newline
// would exceed kMaxRecordBytes.
[[nodiscard]] Expected<std::string> encode_fields(const std::vector<std::string>& fields);

// Splits a line (without its newline; a trailing CR is tolerated) and unescapes every field.
[[nodiscard]] Expected<std::vector<std::string>> decode_fields(std::string_view line);

}  // namespace dupipe
