// Fuzz target: the report reader. Any bytes must parse or be refused with a message naming
// where; what is accepted must satisfy the counts the reader promises.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/protocol/report_reader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using dupipe::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto report = dupipe::parse_report(text);
  if (!report) {
    check(!report.error().message.empty(), "a refusal says why");
    return 0;
  }
  const auto& s = report->summary;
  check(s.urls == s.fetched + s.failed + s.rejected, "urls add up");
  check(s.duplicate_groups == report->groups.size(), "groups counted");
  check(report->failures.size() == s.failed + s.rejected, "failures counted");
  for (const auto& group : report->groups) check(group.files.size() >= 2, "groups of 2 or more");
  return 0;
}
