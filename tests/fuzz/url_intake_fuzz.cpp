// Fuzz target: the URL validator and line classifier. The first byte picks the policy. An
// accepted URL must be printable ASCII without space or backslash, within the length limit, and
// fit a U record; redacting credentials must be idempotent and never grow a line unboundedly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/protocol/record_id.hpp"
#include "common/protocol/records.hpp"
#include "common/protocol/redaction.hpp"
#include "common/protocol/url_intake.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using dupipe::fuzz::check;

namespace {

bool is_clean_ascii(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || byte == '\\') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  dupipe::UrlPolicy policy;
  policy.allow_file = (data[0] & 1) != 0;
  policy.max_url_bytes = (data[0] & 2) != 0 ? 4000 : 2048;
  const std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);

  const dupipe::ClassifiedLine line = dupipe::classify_line(raw, policy);
  if (line.verdict == dupipe::LineVerdict::kAccept) {
    check(is_clean_ascii(line.text), "an accepted URL is printable ASCII without space or '\\'");
    check(line.text.size() <= policy.max_url_bytes, "an accepted URL is within the limit");
    const auto record =
        dupipe::format_record(dupipe::UrlRecord{dupipe::make_record_id(line.text), line.text});
    check(record.has_value(), "an accepted URL fits a U record");
  }
  if (line.verdict == dupipe::LineVerdict::kReject) {
    check(!line.reason.empty() && line.reason.size() < 512, "a rejection has a short reason");
  }
  const std::string redacted = dupipe::redact_credentials(raw);
  check(dupipe::redact_credentials(redacted) == redacted, "redaction is idempotent");
  check(redacted.size() <= raw.size() + 3 * (raw.size() / 3 + 1), "redaction stays bounded");
  return 0;
}
