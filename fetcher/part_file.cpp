#include "fetcher/part_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/os/sys.hpp"

namespace dupipe::fetcher {
namespace {

// The files directory itself must not be a symbolic link (a planted OUT/files -> /etc would
// send every download there); O_NOFOLLOW below covers only the last component of each name.
Expected<void> check_files_dir(const std::string& files_dir) {
  struct stat st {};
  if (::lstat(files_dir.c_str(), &st) != 0) return fail_errno(files_dir, errno);
  if (S_ISLNK(st.st_mode)) {
    return fail(files_dir + " is a symbolic link; refusing to write through it");
  }
  if (!S_ISDIR(st.st_mode)) return fail(files_dir + " is not a directory");
  return {};
}

// A name planted by someone else is never written through: O_NOFOLLOW refuses a symbolic link,
// and the fstat refuses a FIFO, a device or a hard link to another file.
Expected<void> check_own_regular_file(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_errno("stat " + path, errno);
  if (!S_ISREG(st.st_mode)) return fail(path + " is not a regular file; refusing to write to it");
  if (st.st_nlink > 1) return fail(path + " has other hard links; refusing to write to it");
  return {};
}

// Opens `path` and takes its lock without waiting; an empty UniqueFd when another holds it.
Expected<UniqueFd> open_locked(const std::string& path, bool keep_contents) {
  // O_NONBLOCK: opening a planted FIFO must not block; it is refused just below.
  auto fd = sys::open_file(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (!fd) return fail("cannot create temporary file: " + fd.error().message);
  if (auto ok = check_own_regular_file(fd->get(), path); !ok) {
    return fail("cannot create temporary file: " + ok.error().message);
  }
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return UniqueFd{};
    return fail_errno("lock " + path, errno);
  }
  // Truncate only once the lock is ours: the holder of the lock may still be writing.
  if (!keep_contents && ::ftruncate(fd->get(), 0) != 0) {
    return fail_errno("truncate " + path, errno);
  }
  return std::move(*fd);
}

}  // namespace

Expected<PartFile> PartFile::open(const std::string& files_dir, std::string_view id,
                                  bool keep_contents, std::uint64_t serial) {
  if (auto ok = check_files_dir(files_dir); !ok) {
    return fail("cannot create temporary file: " + ok.error().message);
  }
  const std::string shared = files_dir + "/.part-" + std::string(id);
  auto fd = open_locked(shared, keep_contents);
  if (!fd) return tl::unexpected(fd.error());
  if (fd->is_open()) return PartFile(std::move(*fd), shared, true);
  // Busy: a same-id download is running in this or another fetcher.
  const std::string private_name =
      shared + "." + std::to_string(::getpid()) + "." + std::to_string(serial);
  auto other = open_locked(private_name, false);
  if (!other) return tl::unexpected(other.error());
  if (!other->is_open()) return fail("cannot lock temporary file " + private_name);
  return PartFile(std::move(*other), private_name, false);
}

PartFile::PartFile(UniqueFd fd, std::string path, bool is_shared_name)
    : fd_(std::move(fd)), path_(std::move(path)), is_shared_name_(is_shared_name) {}

PartFile::PartFile(PartFile&& other) noexcept
    : fd_(std::move(other.fd_)),
      path_(std::move(other.path_)),
      is_shared_name_(other.is_shared_name_),
      is_committed_(other.is_committed_),
      is_kept_(other.is_kept_) {
  other.is_committed_ = true;  // the moved-from object owns nothing on disk any more
}

PartFile::~PartFile() {
  if (is_committed_ || is_kept_) return;
  ::unlink(path_.c_str());
  ::unlink(control_path().c_str());
  ::unlink((control_path() + ".tmp").c_str());
}

Expected<void> PartFile::allocate(std::uint64_t length) {
  // fallocate reserves the blocks up front: no ENOSPC halfway, little fragmentation. Some file
  // systems (tmpfs on old kernels, NFS) refuse it; ftruncate then gives a sparse file instead.
  const int rc = ::posix_fallocate(fd_.get(), 0, static_cast<off_t>(length));
  if (rc == 0) return truncate(length);
  if (rc != EOPNOTSUPP && rc != EINVAL) return fail_errno("allocate " + path_, rc);
  return truncate(length);
}

Expected<void> PartFile::truncate(std::uint64_t length) {
  if (::ftruncate(fd_.get(), static_cast<off_t>(length)) != 0) {
    return fail_errno("truncate " + path_, errno);
  }
  return {};
}

Expected<void> PartFile::write_at(std::uint64_t offset, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd_.get(), bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("write " + path_, errno);
    bytes.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

Expected<void> PartFile::sync_data() {
  if (::fdatasync(fd_.get()) != 0) return fail_errno("fdatasync " + path_, errno);
  return {};
}

Expected<UniqueFd> PartFile::duplicate_fd() const { return sys::duplicate_fd(fd_.get(), path_); }

Expected<std::uint64_t> PartFile::size() const {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return fail_errno("stat " + path_, errno);
  return static_cast<std::uint64_t>(st.st_size);
}

Expected<void> PartFile::commit_as(const std::string& final_path) {
  if (::rename(path_.c_str(), final_path.c_str()) != 0) {
    return fail_errno("rename to " + final_path, errno);
  }
  is_committed_ = true;
  ::unlink(control_path().c_str());
  ::unlink((control_path() + ".tmp").c_str());
  return {};
}

}  // namespace dupipe::fetcher
