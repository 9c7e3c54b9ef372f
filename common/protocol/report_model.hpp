// The parts of the duplicate report (docs/REPORT.md) that the aggregator writes and
// common/protocol/report_reader.hpp reads back: the same plain structs on both sides of the JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dupipe {

struct ReportFile {
  std::string url;
  std::string path;
};

struct DuplicateGroup {
  std::string digest;
  std::uint64_t size = 0;
  std::vector<ReportFile> files;  // two or more; the aggregator sorts them by url, then path
  [[nodiscard]] std::uint64_t wasted_bytes() const { return size * (files.size() - 1); }
};

struct Summary {
  std::uint64_t urls = 0;
  std::uint64_t fetched = 0;
  std::uint64_t failed = 0;
  std::uint64_t rejected = 0;
  std::uint64_t duplicate_groups = 0;
  std::uint64_t duplicate_files = 0;
  std::uint64_t wasted_bytes = 0;
};

}  // namespace dupipe
