#include "walker/tree_walker.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <set>
#include <utility>

#include "common/os/signals.hpp"
#include "common/protocol/record_id.hpp"

namespace dupipe::walker {
namespace {

// Owner of a DIR* stream (closedir also closes its descriptor).
struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }  // owner
};
using DirStream = std::unique_ptr<DIR, DirCloser>;

std::uint64_t mtime_ns(const struct stat& st) {
  return static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
}

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

class Walker {
 public:
  Walker(const WalkOptions& options, RecordWriter& output, const Logger& logger)
      : options_(options), output_(output), logger_(logger) {}

  void walk_root(const std::string& root) {
    std::error_code ec;
    const std::filesystem::path canonical = std::filesystem::canonical(root, ec);
    if (ec) return failure(root, "cannot open: " + ec.message());
    struct stat st {};
    if (::stat(canonical.c_str(), &st) != 0)
      return failure(canonical, errno_message("cannot stat", errno));
    visit(canonical.string(), st);
    while (!pending_.empty()) {
      throw_if_stopped();
      std::string dir = std::move(pending_.back());
      pending_.pop_back();
      read_directory(dir);
    }
  }

  [[nodiscard]] const WalkCounts& counts() const { return counts_; }

 private:
  void read_directory(const std::string& dir) {
    const DirStream stream(::opendir(dir.c_str()));
    if (!stream) return failure(dir, errno_message("cannot open directory", errno));
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* entry = ::readdir(stream.get())) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
      errno = 0;
    }
    if (errno != 0) failure(dir, errno_message("cannot read directory", errno));
    // Sorted: the walk, and so which name of a directory reached twice is kept, must not depend
    // on the order readdir happens to return.
    std::sort(names.begin(), names.end(), std::greater<>());
    for (const std::string& name : names) visit_entry(dirfd(stream.get()), join(dir, name), name);
  }

  void visit_entry(int dir_fd, const std::string& path, const std::string& name) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return failure(path, errno_message("cannot stat", errno));
    }
    if (S_ISLNK(st.st_mode)) {
      if (!options_.follow_links) return skip(path, "symbolic link not followed");
      if (::stat(path.c_str(), &st) != 0)
        return failure(path, errno_message("cannot follow symbolic link", errno));
    }
    visit(path, st);
  }

  void visit(const std::string& path, const struct stat& st) {
    if (S_ISDIR(st.st_mode)) {
      // Entered once per (device, inode): stops symlink loops and roots given twice or nested.
      // Not counted as skipped: nothing under it is missed, it was walked under another name.
      if (!entered_.emplace(st.st_dev, st.st_ino).second)
        return logger_.debug(path + ": directory already walked");
      pending_.push_back(path);
    } else if (S_ISREG(st.st_mode)) {
      emit(DirectoryFileRecord{make_record_id(path), path, static_cast<std::uint64_t>(st.st_size),
                               st.st_dev, st.st_ino, mtime_ns(st)});
    } else {
      skip(path, "not a regular file");
    }
  }

  // A name so long that its record would exceed kMaxRecordBytes is a failure, not a stop.
  void emit(const DirectoryFileRecord& file) {
    auto line = format_record(file);
    if (!line) {
      // Cause first: the F record is shortened to fit, which cuts the end of a long error.
      ++counts_.failed;
      logger_.warning(file.path + ": name too long to pass on");
      write_record(output_,
                   FailureRecord{file.id, file.path, Stage::kProducer,
                                 "name too long to pass on (" + std::to_string(file.path.size()) +
                                     " bytes): " + file.path});
      return;
    }
    ++counts_.files;
    output_.write_line(*line);
  }

  void skip(const std::string& path, const std::string& why) {
    ++counts_.skipped;
    logger_.debug(path + ": skipped, " + why);
  }

  void failure(const std::string& path, const std::string& cause) {
    ++counts_.failed;
    logger_.warning(path + ": " + cause);
    write_record(output_,
                 FailureRecord{make_record_id(path), path, Stage::kProducer, path + ": " + cause});
  }

  const WalkOptions& options_;
  RecordWriter& output_;
  const Logger& logger_;
  WalkCounts counts_;
  std::set<std::pair<dev_t, ino_t>> entered_;
  std::vector<std::string> pending_;  // directories still to read, popped from the back
};

}  // namespace

WalkCounts walk_trees(const std::vector<std::string>& roots, const WalkOptions& options,
                      RecordWriter& output, const Logger& logger) {
  Walker walker(options, output, logger);
  for (const std::string& root : roots) walker.walk_root(root);
  const WalkCounts& counts = walker.counts();
  write_record(output, StatRecord{"walker", "skipped", counts.skipped});
  return counts;
}

}  // namespace dupipe::walker
