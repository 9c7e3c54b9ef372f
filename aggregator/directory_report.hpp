// The directory-mode report (docs/REPORT.md, "Directory mode"): built from H, L, S and F records
// (pure, no I/O). A group is two or more physical files of equal size and digest; other names
// of the same physical file (hard links) are listed as hard-link sets, not as wasted bytes.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/base/error.hpp"
#include "common/protocol/records.hpp"

namespace dupipe::aggregator {

struct DirectoryGroup {
  std::string digest;
  std::uint64_t size = 0;
  std::vector<std::string> paths;  // one name per physical file, sorted bytewise
  [[nodiscard]] std::uint64_t wasted_bytes() const { return size * (paths.size() - 1); }
};

struct HardlinkSet {
  std::uint64_t size = 0;
  std::vector<std::string> paths;  // sorted; the first is the name that stood for the file
};

struct DirectorySummary {
  std::uint64_t files = 0;           // distinct names of regular files found by the walk
  std::uint64_t hashed = 0;          // physical files hashed in full
  std::uint64_t failed = 0;          // entries in failures
  std::uint64_t unique_size = 0;     // physical files never opened: nothing else has their size
  std::uint64_t unique_partial = 0;  // ruled out by their first and last bytes
  std::uint64_t empty = 0;           // zero-length files left out (no --include-empty)
  std::uint64_t skipped = 0;         // symbolic links not followed, special files
  std::uint64_t duplicate_groups = 0;
  std::uint64_t duplicate_files = 0;
  std::uint64_t wasted_bytes = 0;
  std::uint64_t hardlink_sets = 0;
  std::uint64_t bytes_hashed = 0;   // read for full digests
  std::uint64_t bytes_partial = 0;  // read for partial digests (first and last 4 KiB)
};

struct DirectoryReport {
  std::string algorithm;
  DirectorySummary summary;
  std::vector<DirectoryGroup> groups;   // by wasted bytes descending, then digest
  std::vector<HardlinkSet> hardlinks;   // by first path
  std::vector<FailureRecord> failures;  // by stage, path (the url field), error
};

class DirectoryReportBuilder {
 public:
  explicit DirectoryReportBuilder(std::string default_algorithm)
      : algorithm_(std::move(default_algorithm)) {}

  // Fails when the record's algorithm differs from the run's; a repeated id is ignored.
  [[nodiscard]] Expected<void> add(const DigestRecord& record);
  void add(FailureRecord record);
  void add(const LinkRecord& record);
  void add(const StatRecord& record);

  // Files of equal size and digest, two or more, sorted as in the report.
  [[nodiscard]] std::vector<DirectoryGroup> candidate_groups() const;

  // The report with these groups (after --verify, if any) and extra failures (from --verify).
  [[nodiscard]] DirectoryReport build(std::vector<DirectoryGroup> groups,
                                      std::vector<FailureRecord> extra) const;

 private:
  std::string algorithm_;
  bool has_digests_ = false;
  std::set<std::string> seen_ids_;
  std::map<std::pair<std::uint64_t, std::string>, std::vector<std::string>> paths_by_key_;
  std::map<std::string, HardlinkSet> links_by_target_;
  std::map<std::string, std::uint64_t> stats_;
  std::vector<FailureRecord> failures_;
};

// Sorts groups as the report lists them (wasted bytes descending, then digest, size).
void sort_groups(std::vector<DirectoryGroup>& groups);

[[nodiscard]] std::string to_json(const DirectoryReport& report);
[[nodiscard]] std::string to_text(const DirectoryReport& report);

}  // namespace dupipe::aggregator
