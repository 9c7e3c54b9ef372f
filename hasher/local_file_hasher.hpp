// Directory mode of the hasher: turns a W record (a file found by the walk) into its partial
// digest (a W record with `partial` set) or its full digest (an H record with no url). A file
// whose size, mtime, device or inode differ from what the walk saw, before or after reading, is
// a failure: it changed during the scan and must not be grouped.
#pragma once

#include <cstddef>
#include <string>

#include "common/records.hpp"
#include "hasher/digest.hpp"

namespace dupipe::hasher {

enum class HashMode {
  kUrl,      // URL mode: P and F records only
  kFull,     // directory mode: every W record gets its full digest
  kPartial,  // directory mode: W records get the digest of their first and last kEdgeBytes,
             // files of at most kWholeFileBytes their full digest
};

// Bytes taken from each end of a file for the partial digest.
inline constexpr std::size_t kEdgeBytes = 4096;

// Files of at most this size are digested in full already by the partial hasher, in one read,
// and never opened again: the partial digest would save little reading, and a file whose edges
// match another's would cost a second open, fstat and pass through the partial grouper and a
// full hasher (docs/PERFORMANCE.md, "How often a file is opened", has the measurement).
inline constexpr std::size_t kWholeFileBytes = 64 * 1024;

[[nodiscard]] Record hash_local_file(const LocalFileRecord& file, HashMode mode,
                                     FileDigester& digester, const std::string& algorithm);

}  // namespace dupipe::hasher
