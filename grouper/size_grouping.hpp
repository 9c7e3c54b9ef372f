// The pure core of the grouping stages (fclones' group.rs is the model: each stage a function
// of the same shape, list of candidates in, smaller list out). By size: one name per physical
// file (device, inode), only sizes shared by two or more physical files go on, so a file whose
// size is unique is never opened. By partial digest: only (size, partial) pairs shared by two or
// more files go on to the full hash. Output order is sorted, whatever the input order: largest
// files first, so that the hashers sharing a link start with the longest work and end with the
// shortest (longest-processing-time-first); in ascending order the last, largest file kept one
// hasher busy while the others had nothing left to take.
#pragma once

#include <cstdint>
#include <vector>

#include "common/records.hpp"

namespace dupipe::grouper {

struct SizeOptions {
  bool include_empty = false;  // zero-length files form one group only when asked
};

struct SizeGrouping {
  std::vector<LocalFileRecord> candidates;  // sorted by size (largest first), then path
  std::vector<LinkRecord> links;            // every other name of a file with several names
  std::uint64_t files = 0;                  // distinct names received
  std::uint64_t repeated_names = 0;         // the same path received again (same root twice)
  std::uint64_t unique_size = 0;            // physical files dropped unread: their size is unique
  std::uint64_t empty = 0;                  // physical zero-length files dropped (no --include-empty)
};

[[nodiscard]] SizeGrouping group_by_size(std::vector<LocalFileRecord> files, const SizeOptions& options);

struct PartialGrouping {
  std::vector<LocalFileRecord> candidates;  // sorted by size (largest first), partial, path
  std::uint64_t unique_partial = 0;         // files dropped: their partial digest is unique
};

[[nodiscard]] PartialGrouping group_by_partial(std::vector<LocalFileRecord> files);

}  // namespace dupipe::grouper
