// The pure core of the size grouper (fclones' group.rs is the model: a function of the
// candidates in, fewer candidates out). One name per physical file (device, inode); only sizes
// shared by two or more physical files go on, so a file whose size is unique is never opened.
// Output order is sorted, whatever the input order. plan_links then orders the size groups by
// work, most first (longest-processing-time-first), so the hashers start with their longest
// work and finish together (in ascending order the last, largest file kept one hasher busy while
// the others had nothing left to take), and gives each a link for when the groups cannot be
// handed out on demand: the one with the least planned work so far.
#pragma once

#include <cstdint>
#include <vector>

#include "common/protocol/records.hpp"

namespace dupipe::grouper {

struct SizeOptions {
  bool include_empty = false;  // zero-length files form one group only when asked
};

struct SizeGrouping {
  std::vector<DirectoryFileRecord> candidates;  // sorted by size (largest first), then path
  std::vector<LinkRecord> links;                // every other name of a file with several names
  std::uint64_t files = 0;                      // distinct names received
  std::uint64_t repeated_names = 0;             // the same path received again (same root twice)
  std::uint64_t unique_size = 0;  // physical files dropped unread: their size is unique
  std::uint64_t empty = 0;        // physical zero-length files dropped (no --include-empty)
};

[[nodiscard]] SizeGrouping group_by_size(std::vector<DirectoryFileRecord> files,
                                         const SizeOptions& options);

// What opening a file costs beside reading it, in bytes read from the page cache in the same
// time (open, fstat, close and its records: about 10 us, 32 KiB at 3 GB/s).
inline constexpr std::uint64_t kOpenWorkBytes = 32 * 1024;

// The work of a size group as planned: every file opened and read whole. Files ruled out by
// their first and last 4 KiB cost less; the planner cannot know which.
[[nodiscard]] std::uint64_t group_work_bytes(std::uint64_t size, std::uint64_t files);

// One size group, candidates[begin, end), given to hasher link `link`.
struct PlannedGroup {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t link = 0;
  std::uint64_t work_bytes = 0;
};

// `candidates` as group_by_size sorts them, split into size groups over `links` (>= 1) links;
// in the order to write them: most work first, ties by size (largest first).
[[nodiscard]] std::vector<PlannedGroup> plan_links(
    const std::vector<DirectoryFileRecord>& candidates, std::size_t links);

}  // namespace dupipe::grouper
