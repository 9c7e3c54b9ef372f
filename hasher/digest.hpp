// Streaming file digests: one open, one sequential pass with a large reused buffer
// (posix_fadvise sequential), never the whole file in memory; plus exact reads at an offset for
// the edges of a file (hasher/group_member.hpp). One FileDigester per process; not thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/error.hpp"
#include "common/os/unique_fd.hpp"
#include "hasher/hash_function.hpp"

namespace dupipe::hasher {

struct FileDigest {
  std::uint64_t size = 0;
  std::string hex;
};

// What the walk recorded about a file; compared again after opening it and after reading it.
struct FileIdentity {
  std::uint64_t size = 0;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t mtime_ns = 0;
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

struct OpenedFile {
  UniqueFd fd;
  FileIdentity identity;
};

// Opens a regular file read-only; a FIFO planted where a file should be cannot block (O_NONBLOCK
// during open). `no_follow` refuses a symbolic link as the last component. Errors name no path.
[[nodiscard]] Expected<OpenedFile> open_regular_file(const std::string& path, bool no_follow);

// fstat of an open descriptor as a FileIdentity.
[[nodiscard]] Expected<FileIdentity> identity_of(int fd);

// Reads exactly `bytes.size()` bytes at `offset` (pread, or read(2) from the current offset when
// offset < 0). Fewer means the file shrank: an error. Errors name no path.
[[nodiscard]] Expected<void> read_exactly(int fd, std::span<char> bytes, off_t offset);

// Hex digest of a byte string (used by tests against published vectors).
[[nodiscard]] Expected<std::string> digest_bytes(std::string_view algorithm,
                                                 std::string_view bytes);

// Bytes one read(2) asks for. Small enough that the buffer stays in a core's cache while the
// kernel copies a file's pages into it and the hash reads them back: on the 5,000-file corpus
// (docs/PERFORMANCE.md) 16-64 KiB took 0.06-0.07 s for the hashing phase with xxh128 and
// 0.10-0.11 s with sha256, 128 KiB and 1 MiB 0.08-0.11 s and 0.12-0.15 s.
inline constexpr std::size_t kReadBufferBytes = 64 << 10;

class FileDigester {
 public:
  // Throws FatalError for an unsupported algorithm.
  explicit FileDigester(std::string_view algorithm, std::size_t buffer_bytes = kReadBufferBytes);

  // The error names no path: callers add it. Only regular files are hashed.
  [[nodiscard]] Expected<FileDigest> digest_file(const std::string& path);

  // The whole of an open file, from offset 0 to its end. `size_hint` (0: unknown) skips the
  // read-ahead advice for a file that one read takes whole.
  [[nodiscard]] Expected<FileDigest> digest_open(int fd, std::string_view what,
                                                 std::uint64_t size_hint = 0);

  // Bytes one read(2) asks for.
  [[nodiscard]] std::size_t buffer_bytes() const { return buffer_.size(); }
  // The read buffer, lent to the group hasher's members so that one process has one.
  [[nodiscard]] std::span<char> buffer() { return buffer_; }

 private:
  HashFunction hash_;
  std::vector<char> buffer_;
};

}  // namespace dupipe::hasher
