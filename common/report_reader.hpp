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

#include "common/error.hpp"

namespace dupipe {

struct ReportedFile {
  std::string url;
  std::string path;
};

struct ReportedGroup {
  std::string digest;
  std::uint64_t size = 0;
  std::vector<ReportedFile> files;  // two or more
};

struct ReportedFailure {
  std::string url;
  std::string stage;  // producer, fetcher or hasher
  std::string error;
};

struct ReportedSummary {
  std::uint64_t urls = 0;
  std::uint64_t fetched = 0;
  std::uint64_t failed = 0;
  std::uint64_t rejected = 0;
  std::uint64_t duplicate_groups = 0;
  std::uint64_t duplicate_files = 0;
  std::uint64_t wasted_bytes = 0;
};

struct ParsedReport {
  std::string algorithm;
  std::optional<bool> complete;  // absent in reports written before the key existed
  ReportedSummary summary;
  std::vector<ReportedGroup> groups;
  std::vector<ReportedFailure> failures;
};

// Parses the text of a report; the error starts with the JSON path ("summary.urls: ...").
[[nodiscard]] Expected<ParsedReport> parse_report(std::string_view json_text);

// Reads and parses a file; the error starts with the file's path.
[[nodiscard]] Expected<ParsedReport> read_report(const std::string& path);

}  // namespace dupipe
