#include "hasher/digest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/os/signals.hpp"
#include "common/os/sys.hpp"

namespace dupipe::hasher {

Expected<FileIdentity> identity_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_errno("cannot stat", errno);
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  return FileIdentity{static_cast<std::uint64_t>(st.st_size), st.st_dev, st.st_ino,
                      static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000u +
                          static_cast<std::uint64_t>(st.st_mtim.tv_nsec)};
}

Expected<OpenedFile> open_regular_file(const std::string& path, bool no_follow) {
  // O_NONBLOCK so that a FIFO planted where a file should be cannot block open(2) forever.
  const int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (no_follow ? O_NOFOLLOW : 0);
  const int fd_raw = ::open(path.c_str(), flags);
  if (fd_raw < 0) return fail_errno("cannot open", errno);
  OpenedFile file{UniqueFd(fd_raw), {}};
  auto identity = identity_of(file.fd.get());
  if (!identity) return tl::unexpected(identity.error());
  file.identity = *identity;
  ::fcntl(file.fd.get(), F_SETFL, O_RDONLY);  // back to blocking reads for a regular file
  return file;
}

Expected<std::string> digest_bytes(std::string_view algorithm, std::string_view bytes) {
  if (!is_supported_algorithm(algorithm)) return fail("unsupported digest algorithm");
  HashFunction hash(algorithm);
  hash.update(bytes);
  return hash.finish_hex();
}

FileDigester::FileDigester(std::string_view algorithm, std::size_t buffer_bytes)
    : hash_(algorithm), buffer_(buffer_bytes) {}

Expected<FileDigest> FileDigester::digest_file(const std::string& path) {
  auto file = open_regular_file(path, true);
  if (!file) return tl::unexpected(file.error());
  return digest_open(file->fd.get(), path);
}

Expected<FileDigest> FileDigester::digest_open(int fd, std::string_view what,
                                               std::uint64_t size_hint) {
  // Tell the kernel we read front to back once: larger read-ahead, pages dropped sooner.
  if (size_hint == 0 || size_hint > buffer_.size())
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  hash_.reset();
  FileDigest result;
  while (true) {
    auto n = sys::read_some(fd, buffer_, what);
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) break;
    hash_.update(std::span(buffer_).first(*n));
    result.size += *n;
  }
  result.hex = hash_.finish_hex();
  return result;
}

Expected<void> read_exactly(int fd, std::span<char> bytes, off_t offset) {
  while (!bytes.empty()) {
    const ssize_t n = offset < 0 ? ::read(fd, bytes.data(), bytes.size())
                                 : ::pread(fd, bytes.data(), bytes.size(), offset);
    if (n < 0 && errno == EINTR) {
      throw_if_stopped();
      continue;
    }
    if (n < 0) return fail_errno("cannot read", errno);
    if (n == 0) return fail("file shrank while being read");
    bytes = bytes.subspan(static_cast<std::size_t>(n));
    if (offset >= 0) offset += n;
  }
  return {};
}

}  // namespace dupipe::hasher
