#include "common/os/sys.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <vector>

#include "common/os/signals.hpp"

namespace dupipe::sys {
namespace {

constexpr std::chrono::nanoseconds kFirstLockRetry = std::chrono::microseconds(50);
constexpr std::chrono::nanoseconds kLongestLockRetry = std::chrono::milliseconds(5);

// EINTR means "a signal arrived": either it is a stop request, or the call is simply restarted.
bool should_retry(int errnum) {
  if (errnum != EINTR) return false;
  throw_if_stopped();
  return true;
}

bool is_would_block(int errnum) { return errnum == EAGAIN || errnum == EWOULDBLOCK; }

// ppoll on `fd` (ignored if negative) and the stop descriptor. Only a wait is interrupted: when
// `fd` is ready the call goes ahead even after a stop, so a stopping stage can still write its
// partial report (the stage loops look at the flag between records). A null timeout waits for
// ever; a timeout that passes returns normally.
Expected<void> wait_for(int fd, short events, const timespec* timeout, std::string_view what) {
  std::array<pollfd, 2> fds{{{fd, events, 0}, {stop_fd(), POLLIN, 0}}};
  while (::ppoll(fds.data(), fds.size(), timeout, nullptr) < 0) {
    if (!should_retry(errno)) return fail_errno("poll " + std::string(what), errno);
  }
  // The handler stores the flag before it writes the byte, so a readable stop_fd() means it is set.
  if (fds[0].revents == 0 && fds[1].revents != 0) throw_if_stopped();
  return {};
}

timespec to_timespec(std::chrono::nanoseconds duration) {
  const auto ns = std::max<std::chrono::nanoseconds::rep>(duration.count(), 0);
  return {static_cast<std::time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

}  // namespace

Expected<void> wait_for_any(std::span<pollfd> fds, std::optional<std::chrono::nanoseconds> timeout,
                            std::string_view what) {
  std::vector<pollfd> all(fds.begin(), fds.end());
  all.push_back({stop_fd(), POLLIN, 0});
  const timespec limit = to_timespec(timeout.value_or(std::chrono::nanoseconds(0)));
  while (::ppoll(all.data(), all.size(), timeout ? &limit : nullptr, nullptr) < 0) {
    if (!should_retry(errno)) return fail_errno("poll " + std::string(what), errno);
  }
  bool is_any_ready = false;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    fds[i].revents = all[i].revents;
    is_any_ready = is_any_ready || all[i].revents != 0;
  }
  if (!is_any_ready && all.back().revents != 0) throw_if_stopped();
  return {};
}

Expected<UniqueFd> open_file(const std::string& path, int flags, mode_t mode) {
  while (true) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (!should_retry(errno)) return fail_errno(path, errno);
  }
}

// Read first, poll only on EAGAIN: a FIFO opened O_NONBLOCK while it had no writer never polls
// POLLHUP until a writer opens it again (Linux suppresses the hang-up "until we have seen a
// writer"), so a reader that reopened a FIFO whose writers had all left would wait for ever,
// while its read returns 0 at once. EAGAIN means a writer is there now, and its leaving will
// show as POLLHUP. A regular file costs one read(2) per call and no poll (the hasher's loop).
Expected<std::size_t> read_some(int fd, std::span<char> buffer, std::string_view what) {
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (is_would_block(errno)) {
      auto ready = wait_for(fd, POLLIN, nullptr, what);
      if (!ready) return tl::unexpected(ready.error());
    } else if (!should_retry(errno)) {
      return fail_errno(std::string("read from ") + std::string(what), errno);
    }
  }
}

// Write first, poll only on EAGAIN, as read_some reads first: a poll before every write was one
// system call more per record, and for a regular file (journals, reports) always in vain. POLLOUT
// on a pipe means a free page, so a record (at most PIPE_BUF bytes) fits unless another writer
// takes the room first: a non-blocking write then fails whole with EAGAIN, and we wait again.
Expected<void> write_all(int fd, std::string_view bytes, std::string_view what) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (is_would_block(errno)) {
      if (auto ready = wait_for(fd, POLLOUT, nullptr, what); !ready) return ready;
    } else if (!should_retry(errno)) {
      return fail_errno(std::string("write to ") + std::string(what), errno);
    }
  }
  return {};
}

UniqueFd reopen_nonblocking(UniqueFd fd) {
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || !is_fifo(fd.get())) return fd;
  const std::string path = "/proc/self/fd/" + std::to_string(fd.get());
  // Opened before `fd` is closed: a write end never leaves the FIFO without writers (no EOF).
  const int copy = ::open(path.c_str(), (flags & O_ACCMODE) | O_NONBLOCK | O_CLOEXEC);
  if (copy < 0) return fd;
  return UniqueFd(copy);
}

Expected<void> wait_until_ready(int fd, short events, std::string_view what) {
  return wait_for(fd, events, nullptr, what);
}

Expected<bool> wait_until_ready_for(int fd, short events, std::chrono::nanoseconds timeout,
                                    std::string_view what) {
  std::array<pollfd, 2> fds{{{fd, events, 0}, {stop_fd(), POLLIN, 0}}};
  const timespec limit = to_timespec(timeout);
  while (::ppoll(fds.data(), fds.size(), &limit, nullptr) < 0) {
    if (!should_retry(errno)) return fail_errno("poll " + std::string(what), errno);
  }
  if (fds[0].revents == 0 && fds[1].revents != 0) throw_if_stopped();
  return fds[0].revents != 0;
}

Expected<std::optional<std::size_t>> try_read(int fd, std::span<char> buffer,
                                              std::string_view what) {
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (is_would_block(errno)) return std::optional<std::size_t>();
    if (!should_retry(errno)) {
      return fail_errno(std::string("read from ") + std::string(what), errno);
    }
  }
}

Expected<std::optional<std::size_t>> try_write(int fd, std::string_view bytes,
                                               std::string_view what) {
  while (true) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (is_would_block(errno)) return std::optional<std::size_t>();
    if (!should_retry(errno)) {
      return fail_errno(std::string("write to ") + std::string(what), errno);
    }
  }
}

void sleep_unless_stopped(std::chrono::nanoseconds duration) {
  throw_if_stopped();  // a stop before install_stop_handlers() has no descriptor to poll
  const timespec timeout = to_timespec(duration);
  value_or_fatal(wait_for(-1, 0, &timeout, "the stop descriptor"));
}

Expected<ExclusiveLock> ExclusiveLock::acquire(int fd, std::string_view what) {
  std::chrono::nanoseconds pause = kFirstLockRetry;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (is_would_block(errno)) {
      sleep_unless_stopped(pause);
      pause = std::min(pause * 2, kLongestLockRetry);
    } else if (!should_retry(errno)) {
      return fail_errno(std::string("lock ") + std::string(what), errno);
    }
  }
  return ExclusiveLock(fd);
}

// Unlocking an flock we hold cannot fail on a valid descriptor; closing it would release it too.
ExclusiveLock::~ExclusiveLock() {
  if (fd_ >= 0) ::flock(fd_, LOCK_UN);
}

bool may_block(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  struct stat info {};
  if (flags < 0 || (flags & O_NONBLOCK) != 0 || ::fstat(fd, &info) != 0) return false;
  return !S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode);
}

bool is_fifo(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

Expected<UniqueFd> duplicate_fd(int fd, std::string_view what) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return fail_errno(what, errno);
  return UniqueFd(copy);
}

Expected<void> make_directories(const std::string& path, mode_t mode) {
  for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      return fail_errno("create directory " + prefix, errno);
    }
    if (slash == std::string::npos) break;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail_errno(path, errno);
  if (!S_ISDIR(st.st_mode)) return fail(path + ": not a directory", ENOTDIR);
  return {};
}

Expected<void> write_file_atomically(const std::string& path, std::string_view contents) {
  const std::string temp_path = path + ".tmp." + std::to_string(::getpid());
  auto fd = open_file(temp_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
  if (!fd) return tl::unexpected(fd.error());
  if (auto written = write_all(fd->get(), contents, temp_path); !written) {
    ::unlink(temp_path.c_str());
    return written;
  }
  // fsync before rename: a crash must leave either the old report or the complete new one.
  if (::fsync(fd->get()) != 0 || ::rename(temp_path.c_str(), path.c_str()) != 0) {
    const int errnum = errno;
    ::unlink(temp_path.c_str());
    return fail_errno("write " + path, errnum);
  }
  return {};
}

}  // namespace dupipe::sys
