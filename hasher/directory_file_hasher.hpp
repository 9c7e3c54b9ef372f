// Directory mode of the hasher, one file at a time: the full digest of a W record's file from
// its first byte (an H record with no url), and the checks shared with the group hasher. A file
// whose size, mtime, device or inode differ from what the walk saw, before or after reading, is
// a failure: it changed during the scan and must not be grouped.
#pragma once

#include <cstddef>
#include <string>

#include "common/protocol/records.hpp"
#include "hasher/digest.hpp"

namespace dupipe::hasher {

// Bytes taken from each end of a large file for its edge key (hasher/group_member.hpp).
inline constexpr std::size_t kEdgeBytes = 4096;

// Files of at most this size are digested whole as soon as they arrive, in one read, without
// comparing edges first: the edges would save little reading, and a file this small costs about
// as much to read whole as to read 2 x 4 KiB (docs/PERFORMANCE.md, "How often a file is opened").
inline constexpr std::size_t kWholeFileBytes = 64 * 1024;

// An F record of directory mode: the url field carries the path (docs/PROTOCOL.md).
[[nodiscard]] FailureRecord directory_failure(const DirectoryFileRecord& file,
                                              const std::string& cause);

// Empty when `now` is still the file the walk saw, else the reason.
[[nodiscard]] std::string change_since_walk(const FileIdentity& now,
                                            const DirectoryFileRecord& file);
// The same for an open descriptor (fstat now).
[[nodiscard]] std::string change_since_walk(int fd, const DirectoryFileRecord& file);

// Opens, checks, reads front to back and checks again: an H record or an F record.
[[nodiscard]] Record hash_directory_file(const DirectoryFileRecord& file, FileDigester& digester,
                                         const std::string& algorithm);

}  // namespace dupipe::hasher
