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
             // small files their full digest
};

// Bytes taken from each end of a file for the partial digest. Files of at most 2 * kEdgeBytes
// are digested in full at once: reading them again later would cost more than it saves.
inline constexpr std::size_t kEdgeBytes = 4096;

[[nodiscard]] Record hash_local_file(const LocalFileRecord& file, HashMode mode,
                                     FileDigester& digester, const std::string& algorithm);

}  // namespace dupipe::hasher
