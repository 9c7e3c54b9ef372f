// The run's private directory (mkdtemp, mode 0700) and the FIFOs in it (mode 0600, created
// exclusively: a name that exists, perhaps planted by another user, is never opened or removed).
// Each FIFO link has a keeper, a descriptor the supervisor holds open O_RDWR until the last
// process writing the link has exited: a FIFO reader sees end of file as soon as no writer has it
// open, which could happen between one writer finishing and a restarted one starting. Keepers are
// O_CLOEXEC, so no stage ever inherits one (a reader holding a write end of its own input would
// never see end of stream). The destructor removes the directory unless it is to be kept.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "common/base/error.hpp"
#include "common/os/unique_fd.hpp"

namespace dupipe::supervisor {

class RunDirectory {
 public:
  // mkdtemp under $TMPDIR (or /tmp); FatalError naming the template and the cause.
  static RunDirectory create();
  RunDirectory(RunDirectory&& other) noexcept
      : path_(std::exchange(other.path_, {})), is_kept_(other.is_kept_) {}
  RunDirectory& operator=(RunDirectory&&) = delete;
  RunDirectory(const RunDirectory&) = delete;
  ~RunDirectory();

  [[nodiscard]] const std::string& path() const { return path_; }
  void keep() { is_kept_ = true; }

  // Replaces a file of the run directory by rename, so a reader (dupipe-top) never sees half
  // of it; no fsync: the directory does not outlive the run.
  void write(const std::string& name, const std::string& contents) const;
  void append(const std::string& name, const std::string& line) const;
  // Writes the path and a newline to `file` (--run-dir-file), outside the directory: another
  // terminal reads there which run is this one. By rename, so it never reads half a path;
  // FatalError naming the file and the cause.
  void publish_path(const std::string& file) const;

 private:
  explicit RunDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
  bool is_kept_ = false;
};

// A FIFO link and its keeper; the destructor closes the keeper and unlinks the FIFO.
class FifoLink {
 public:
  // mkfifo(path, 0600) exclusively and opens the keeper; FatalError naming the path, the link
  // and the cause.
  static FifoLink create(const std::string& path, const std::string& link);
  FifoLink(FifoLink&& other) noexcept
      : path_(std::exchange(other.path_, {})), keeper_(std::move(other.keeper_)) {}
  FifoLink& operator=(FifoLink&&) = delete;
  ~FifoLink();

  // The last writer exited: readers drain what is buffered, then see end of file.
  void release() { keeper_.reset(); }
  [[nodiscard]] bool is_held() const { return keeper_.is_open(); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  FifoLink(std::string path, UniqueFd keeper)
      : path_(std::move(path)), keeper_(std::move(keeper)) {}
  std::string path_;
  UniqueFd keeper_;
};

}  // namespace dupipe::supervisor
