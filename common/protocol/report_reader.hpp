// Reads a URL-mode OUT/report.json (docs/REPORT.md) back into plain structs, for programs and
// tests that consume the report. Strict: every documented key present with its type, no other
// key, counts that add up, digests of the algorithm's length. Every error names the JSON path of
// the offending value ("groups[2].files[0].url: expected a string"). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/error.hpp"
#include "common/protocol/report_model.hpp"

namespace dupipe {

struct ReportedFailure {
  std::string url;
  std::string stage;  // producer, fetcher or hasher
  std::string error;
};

struct ParsedReport {
  std::string algorithm;
  std::optional<bool> complete;  // absent in reports written before the key existed
  Summary summary;
  std::vector<DuplicateGroup> groups;
  std::vector<ReportedFailure> failures;
};

// Parses the text of a report; the error starts with the JSON path ("summary.urls: ...").
[[nodiscard]] Expected<ParsedReport> parse_report(std::string_view json_text);

// Reads and parses a file; the error starts with the file's path.
[[nodiscard]] Expected<ParsedReport> read_report(const std::string& path);

}  // namespace dupipe
