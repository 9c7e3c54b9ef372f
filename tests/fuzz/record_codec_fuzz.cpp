// Fuzz target: the record decoder. Any line must decode or fail cleanly; what decodes must
// encode back to a line that decodes to the same fields; escaping any bytes must round-trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/protocol/record_codec.hpp"
#include "common/protocol/records.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using dupipe::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto unescaped = dupipe::unescape_field(dupipe::escape_field(line));
  check(unescaped && *unescaped == line, "unescape(escape(x)) == x");

  if (const auto fields = dupipe::decode_fields(line)) {
    if (const auto encoded = dupipe::encode_fields(*fields)) {
      const auto again = dupipe::decode_fields(*encoded);
      check(again && *again == *fields, "decode(encode(fields)) == fields");
      check(encoded->size() < dupipe::kMaxRecordBytes, "an encoded line fits a record");
    }
  }
  if (const auto record = dupipe::parse_record(line)) {
    if (const auto formatted = dupipe::format_record(*record)) {
      check(formatted->size() < dupipe::kMaxRecordBytes, "a formatted record fits");
      const auto reparsed = dupipe::parse_record(*formatted);
      check(reparsed.has_value(), "a formatted record parses");
      const auto reformatted = reparsed ? dupipe::format_record(*reparsed) : formatted;
      check(reformatted && *reformatted == *formatted, "format is stable");
    }
  }
  return 0;
}
