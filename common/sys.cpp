#include "common/sys.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/signals.hpp"

namespace dupipe::sys {
namespace {

// EINTR means "a signal arrived": either it is a stop request, or the call is simply restarted.
bool should_retry(int errnum) {
  if (errnum != EINTR) return false;
  throw_if_stopped();
  return true;
}

}  // namespace

Expected<UniqueFd> open_file(const std::string& path, int flags, mode_t mode) {
  while (true) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (!should_retry(errno)) return fail(errno_message(path, errno));
  }
}

std::size_t read_some(int fd, std::span<char> buffer, std::string_view what) {
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (!should_retry(errno)) throw_errno(std::string("read from ") + std::string(what), errno);
  }
}

void write_all(int fd, std::string_view bytes, std::string_view what) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (!should_retry(errno)) {
      throw_errno(std::string("write to ") + std::string(what), errno);
    }
  }
}

ExclusiveLock::ExclusiveLock(int fd, std::string_view what) : fd_(fd) {
  while (::flock(fd, LOCK_EX) != 0) {
    if (!should_retry(errno)) throw_errno(std::string("lock ") + std::string(what), errno);
  }
}

// Unlocking an flock we hold cannot fail on a valid descriptor; closing it would release it too.
ExclusiveLock::~ExclusiveLock() { ::flock(fd_, LOCK_UN); }

bool is_fifo(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

UniqueFd duplicate_fd(int fd, std::string_view what) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw_errno(std::string(what), errno);
  return UniqueFd(copy);
}

Expected<void> make_directories(const std::string& path, mode_t mode) {
  for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      return fail(errno_message("create directory " + prefix, errno));
    }
    if (slash == std::string::npos) break;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail(errno_message(path, errno));
  if (!S_ISDIR(st.st_mode)) return fail(path + ": not a directory");
  return {};
}

Expected<void> write_file_atomically(const std::string& path, std::string_view contents) {
  const std::string temp_path = path + ".tmp." + std::to_string(::getpid());
  auto fd = open_file(temp_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
  if (!fd) return fail(fd.error().message);
  try {
    write_all(fd->get(), contents, temp_path);
  } catch (const FatalError& e) {
    ::unlink(temp_path.c_str());
    return fail(e.what());
  }
  // fsync before rename: a crash must leave either the old report or the complete new one.
  if (::fsync(fd->get()) != 0 || ::rename(temp_path.c_str(), path.c_str()) != 0) {
    const int errnum = errno;
    ::unlink(temp_path.c_str());
    return fail(errno_message("write " + path, errnum));
  }
  return {};
}

}  // namespace dupipe::sys
