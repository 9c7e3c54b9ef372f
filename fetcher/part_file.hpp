// The file a download is written into: "FILES_DIR/.part-<id>", written in place with pwrite at
// the offset each byte belongs to (so parallel ranges need no merge), pre-allocated with
// fallocate when the length is known. It holds flock(LOCK_EX | LOCK_NB) so two downloads of the
// same id (a repeated bare URL, another fetcher) never share it: the second one gets a private
// name. Removed on destruction unless committed (renamed to its final name) or kept for resume.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/base/error.hpp"
#include "common/os/unique_fd.hpp"

namespace dupipe::fetcher {

class PartFile {
 public:
  // Opens (creating) the shared part name, or a private one if that is busy; `keep_contents`
  // keeps what an earlier run wrote (resume), otherwise the file is truncated. `serial` (unique
  // per download in this process) makes the private name unique.
  [[nodiscard]] static Expected<PartFile> open(const std::string& files_dir, std::string_view id,
                                               bool keep_contents, std::uint64_t serial);
  PartFile(PartFile&& other) noexcept;
  PartFile& operator=(PartFile&&) = delete;
  PartFile(const PartFile&) = delete;
  ~PartFile();

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string control_path() const { return path_ + ".ctl"; }
  // True for the shared name: only that one can be resumed by a later run.
  [[nodiscard]] bool is_resumable() const { return is_shared_name_; }

  [[nodiscard]] Expected<void> allocate(std::uint64_t length);
  [[nodiscard]] Expected<void> truncate(std::uint64_t length);
  [[nodiscard]] Expected<void> write_at(std::uint64_t offset, std::string_view bytes);
  [[nodiscard]] Expected<void> sync_data();
  // For the ProgressSaver, which syncs the data on its own thread.
  [[nodiscard]] Expected<UniqueFd> duplicate_fd() const;
  [[nodiscard]] Expected<std::uint64_t> size() const;
  // Renames to `final_path` (replacing a file of that name) and drops the control file.
  [[nodiscard]] Expected<void> commit_as(const std::string& final_path);
  // Leaves the file and its control file in place for a later --resume.
  void keep() { is_kept_ = true; }

 private:
  PartFile(UniqueFd fd, std::string path, bool is_shared_name);

  UniqueFd fd_;
  std::string path_;
  bool is_shared_name_;
  bool is_committed_ = false;
  bool is_kept_ = false;
};

}  // namespace dupipe::fetcher
