// Record ids (docs/PROTOCOL.md). In its own file so that a stage which only needs ids does not
// link libcurl (url_intake does).
#pragma once

#include <string>
#include <string_view>

namespace dupipe {

// A stable id: the first 16 hex digits of SHA-256 of the text. Same URL, same id, in every run
// and in every process, which is what lets `cat` replace the producer.
[[nodiscard]] std::string make_record_id(std::string_view text);

}  // namespace dupipe
