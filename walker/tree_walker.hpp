// Directory mode's first stage: walks the given trees and writes one W record per regular file
// (path, size, device, inode, mtime) without opening any file. Symbolic links are skipped unless
// followed; sockets, FIFOs and devices are skipped; an entry that cannot be read becomes an F
// record naming its path, never a stop. Entries are visited in name order, so the records do not
// depend on the file system's directory order. Single-threaded; the writer is borrowed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/base/logger.hpp"
#include "common/transport/endpoint.hpp"

namespace dupipe::walker {

struct WalkOptions {
  bool follow_links = false;
};

struct WalkCounts {
  std::uint64_t files = 0;    // W records written
  std::uint64_t skipped = 0;  // symbolic links not followed, special files
  std::uint64_t failed = 0;   // F records written
};

// Roots are made absolute and canonical first, so a root given twice, or one inside another,
// is walked once: every directory (device, inode) is entered at most once.
[[nodiscard]] WalkCounts walk_trees(const std::vector<std::string>& roots,
                                    const WalkOptions& options, RecordWriter& output,
                                    const Logger& logger);

}  // namespace dupipe::walker
