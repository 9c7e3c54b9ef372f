// System calls wrapped correctly once: EINTR retried (unless a stop was requested, then
// Interrupted is thrown), short writes looped, O_CLOEXEC everywhere. Failures throw FatalError
// naming the path; functions returning Expected report per-file problems as values.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace dupipe::sys {

// open(2) with O_CLOEXEC added; the error names the path and the cause.
[[nodiscard]] Expected<UniqueFd> open_file(const std::string& path, int flags, mode_t mode = 0);

// read(2) once; 0 means end of file. Retries EINTR unless a stop signal arrived.
[[nodiscard]] std::size_t read_some(int fd, std::span<char> buffer, std::string_view what);

// write(2) until every byte is written. EPIPE and other errors throw FatalError naming `what`.
void write_all(int fd, std::string_view bytes, std::string_view what);

// Holds flock(LOCK_EX) on a descriptor for its lifetime; waiting is EINTR-aware like read_some.
class ExclusiveLock {
 public:
  ExclusiveLock(int fd, std::string_view what);
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;
  ~ExclusiveLock();

 private:
  int fd_;
};

[[nodiscard]] bool is_fifo(int fd);

// dup(2) with O_CLOEXEC; throws FatalError naming `what` when it fails (e.g. fd is closed).
[[nodiscard]] UniqueFd duplicate_fd(int fd, std::string_view what);

// mkdir -p with the given mode for directories it creates.
[[nodiscard]] Expected<void> make_directories(const std::string& path, mode_t mode = 0755);

// Writes `contents` to `path` atomically: temp file in the same directory, fsync, rename.
[[nodiscard]] Expected<void> write_file_atomically(const std::string& path,
                                                   std::string_view contents);

}  // namespace dupipe::sys
