// System calls wrapped correctly once: EINTR retried (unless a stop was requested, then
// Interrupted is thrown), short writes looped, O_CLOEXEC everywhere. Failures are Error values
// naming the path or channel and keeping the errno; only endpoints and mains escalate them
// (value_or_fatal in common/base/error.hpp). A stop is not an error value: it throws Interrupted.
// Every wait that could block (read_some, write_all, ExclusiveLock, sleep_unless_stopped) also
// polls stop_fd() (common/os/signals.hpp): a stop signal ends it at once, whenever it lands. Only
// waiting is interrupted: I/O that can go ahead does, so a stopping stage still writes its report.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "common/base/error.hpp"
#include "common/os/unique_fd.hpp"

namespace dupipe::sys {

// open(2) with O_CLOEXEC added; the error names the path and the cause.
[[nodiscard]] Expected<UniqueFd> open_file(const std::string& path, int flags, mode_t mode = 0);

// One read(2) of what is there; on EAGAIN (a non-blocking descriptor with nothing there, or
// another reader took it first) a wait in poll(2) for data or a stop, then read again; 0 means
// end of file. Interrupted on a stop while nothing is readable. For a regular file or a
// non-blocking descriptor (see reopen_nonblocking). A descriptor for which may_block() is true
// would block in read(2), out of reach of the stop descriptor: wait_until_ready first.
[[nodiscard]] Expected<std::size_t> read_some(int fd, std::span<char> buffer,
                                              std::string_view what);

// True for a blocking descriptor whose read(2) or write(2) can wait for another process (a
// terminal, a socket, a FIFO that could not be reopened): its readers and writers poll first.
[[nodiscard]] bool may_block(int fd);

// write(2) until every byte is written; when there is no room (EAGAIN), a wait in poll(2) for
// POLLOUT or a stop, then write again (Interrupted on a stop while there is no room). EPIPE and
// other errors are an Error naming `what`. For a regular file or a non-blocking descriptor; one
// for which may_block() is true would block in write(2): wait_until_ready first.
[[nodiscard]] Expected<void> write_all(int fd, std::string_view bytes, std::string_view what);

// For a FIFO or pipe: the same pipe opened anew through /proc/self/fd with O_NONBLOCK, on an open
// file description of our own, and `fd` closed. O_NONBLOCK belongs to the description, which
// other processes may share (stdin redirected from a FIFO for several stages, a parent shell):
// setting it on `fd` itself would change their reads and writes too. Anything else (regular
// file, terminal, /dev/null), or when the reopen fails (no /proc; a write end whose FIFO has no
// reader at this instant, ENXIO), is returned unchanged, and stays blocking.
[[nodiscard]] UniqueFd reopen_nonblocking(UniqueFd fd);

// Waits in poll(2) until `fd` reports one of `events` (POLLERR and POLLHUP count); Interrupted if
// a stop is requested while it is not ready.
[[nodiscard]] Expected<void> wait_until_ready(int fd, short events, std::string_view what);

// Like wait_until_ready, but gives up after `timeout` (0: only looks): true if `fd` is ready.
[[nodiscard]] Expected<bool> wait_until_ready_for(int fd, short events,
                                                  std::chrono::nanoseconds timeout,
                                                  std::string_view what);

// Waits in ppoll(2) until one of `fds` reports one of its events (their revents are set), or
// `timeout` passes (none: no limit); Interrupted if a stop is requested while none is ready. For
// a process that waits on several links at once (the crawl frontier).
[[nodiscard]] Expected<void> wait_for_any(std::span<pollfd> fds,
                                          std::optional<std::chrono::nanoseconds> timeout,
                                          std::string_view what);

// One read(2) that does not wait: nullopt when a non-blocking descriptor has nothing (EAGAIN),
// else the bytes read (0: end of file).
[[nodiscard]] Expected<std::optional<std::size_t>> try_read(int fd, std::span<char> buffer,
                                                            std::string_view what);

// One write(2) that does not wait: nullopt when a non-blocking descriptor has no room (EAGAIN),
// else the bytes written (a pipe writes a record of at most PIPE_BUF bytes whole or not at all).
[[nodiscard]] Expected<std::optional<std::size_t>> try_write(int fd, std::string_view bytes,
                                                             std::string_view what);

// Sleeps for `duration`, or less if a stop is requested: then Interrupted. (Its ppoll on the stop
// descriptor alone can only fail on a broken process: that throws FatalError.)
void sleep_unless_stopped(std::chrono::nanoseconds duration);

// Holds flock(LOCK_EX) on a descriptor for its lifetime. flock(2) cannot be polled, so a busy
// lock is retried with LOCK_NB, sleeping on the stop descriptor in between (a pause growing from
// 50 us to 5 ms): Interrupted at once on a stop, and the lock is taken at most 5 ms after it is
// released (a blocking flock would miss a signal sent just before it is entered, or one that a
// sibling thread takes). `acquire` returns the held lock, or an Error naming `what` (e.g. EBADF).
class ExclusiveLock {
 public:
  [[nodiscard]] static Expected<ExclusiveLock> acquire(int fd, std::string_view what);
  ExclusiveLock(ExclusiveLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(ExclusiveLock&&) = delete;
  ~ExclusiveLock();

 private:
  explicit ExclusiveLock(int fd) : fd_(fd) {}
  int fd_;  // -1 once moved from
};

[[nodiscard]] bool is_fifo(int fd);

// dup(2) with O_CLOEXEC; an Error naming `what` when it fails (e.g. EBADF: fd is closed).
[[nodiscard]] Expected<UniqueFd> duplicate_fd(int fd, std::string_view what);

// mkdir -p with the given mode for directories it creates.
[[nodiscard]] Expected<void> make_directories(const std::string& path, mode_t mode = 0755);

// Writes `contents` to `path` atomically: temp file in the same directory, fsync, rename.
[[nodiscard]] Expected<void> write_file_atomically(const std::string& path,
                                                   std::string_view contents);

}  // namespace dupipe::sys
