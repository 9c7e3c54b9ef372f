#include "supervisor/run_directory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace dupipe::supervisor {

RunDirectory RunDirectory::create() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/dupipe-run.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw_errno("cannot create run directory " + pattern, errno);
  return RunDirectory(pattern);  // mkdtemp makes it 0700
}

RunDirectory::~RunDirectory() {
  if (path_.empty() || is_kept_) return;
  std::error_code
      ignored;  // a destructor on an exit path: the directory is ours, nothing to report
  std::filesystem::remove_all(path_, ignored);
}

void RunDirectory::write(const std::string& name, const std::string& contents) const {
  const std::string target = path_ + "/" + name;
  {
    std::ofstream out(target + ".tmp", std::ios::trunc);
    out << contents;
    if (!out.flush()) throw FatalError("cannot write " + target + ".tmp");
  }
  if (::rename((target + ".tmp").c_str(), target.c_str()) != 0) {
    throw_errno("cannot rename " + target + ".tmp", errno);
  }
}

void RunDirectory::append(const std::string& name, const std::string& line) const {
  std::ofstream out(path_ + "/" + name, std::ios::app);
  out << line << '\n';
  if (!out) throw FatalError("cannot append to " + path_ + "/" + name);
}

void RunDirectory::publish_path(const std::string& file) const {
  const std::string tmp = file + ".tmp." + std::to_string(::getpid());
  {
    errno = 0;  // ofstream reports no cause: the failed open(2) or write(2) leaves it in errno
    std::ofstream out(tmp, std::ios::trunc);
    out << path_ << '\n';
    if (!out.flush()) {
      const int error = errno != 0 ? errno : EIO;
      ::unlink(tmp.c_str());
      throw_errno("cannot write " + tmp, error);
    }
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    throw_errno("cannot rename " + tmp + " to " + file, error);
  }
}

FifoLink FifoLink::create(const std::string& path, const std::string& link) {
  if (::mkfifo(path.c_str(), 0600) != 0) {
    const int error = errno;
    throw FatalError(errno_message("cannot create FIFO " + path + " for link " + link, error) +
                     "; refusing to run" +
                     (error == EEXIST
                          ? " (a file of that name already exists and may belong to another user)"
                          : ""));
  }
  // O_RDWR never blocks on a FIFO and makes the keeper both a reader and a writer of it.
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    ::unlink(path.c_str());
    throw FatalError(errno_message("cannot open FIFO " + path, error));
  }
  return FifoLink(path, UniqueFd(fd));
}

FifoLink::~FifoLink() {
  if (path_.empty()) return;
  keeper_.reset();
  ::unlink(path_.c_str());
}

}  // namespace dupipe::supervisor
