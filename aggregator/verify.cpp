#include "aggregator/verify.hpp"

#include <fcntl.h>

#include <cstring>
#include <vector>

#include "common/os/sys.hpp"
#include "common/protocol/record_id.hpp"

namespace dupipe::aggregator {
namespace {

constexpr std::size_t kChunkBytes = 1 << 20;

// Reads up to `buffer.size()` bytes, fewer only at end of file.
Expected<std::size_t> read_full(int fd, std::vector<char>& buffer, const std::string& path) {
  std::size_t filled = 0;
  while (filled < buffer.size()) {
    auto n = sys::read_some(fd, std::span(buffer).subspan(filled), path);
    if (!n) return n;
    if (*n == 0) break;
    filled += *n;
  }
  return filled;
}

FailureRecord verify_failure(const std::string& path, const std::string& cause) {
  return FailureRecord{make_record_id(path), path, Stage::kAggregator, path + ": " + cause};
}

}  // namespace

Expected<bool> same_contents(const std::string& a, const std::string& b) {
  auto fa = sys::open_file(a, O_RDONLY | O_NOCTTY);
  if (!fa) return tl::unexpected(fa.error());
  auto fb = sys::open_file(b, O_RDONLY | O_NOCTTY);
  if (!fb) return tl::unexpected(fb.error());
  ::posix_fadvise(fa->get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  ::posix_fadvise(fb->get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<char> buffer_a(kChunkBytes), buffer_b(kChunkBytes);
  while (true) {
    const auto na = read_full(fa->get(), buffer_a, a);
    if (!na) return tl::unexpected(na.error());
    const auto nb = read_full(fb->get(), buffer_b, b);
    if (!nb) return tl::unexpected(nb.error());
    if (*na != *nb || std::memcmp(buffer_a.data(), buffer_b.data(), *na) != 0) return false;
    if (*na == 0) return true;
  }
}

namespace {

// Adds `path` to the first class whose file holds the same bytes, or starts a new class; a file
// that cannot be compared is a failure and joins no class.
void place(const std::string& path, const DirectoryGroup& group,
           std::vector<DirectoryGroup>& classes, std::vector<FailureRecord>& failures) {
  for (DirectoryGroup& cls : classes) {
    auto same = same_contents(cls.paths.front(), path);
    if (!same) {
      failures.push_back(verify_failure(path, "--verify: " + same.error().message));
      return;
    }
    if (*same) {
      cls.paths.push_back(path);
      return;
    }
  }
  classes.push_back(DirectoryGroup{group.digest, group.size, {path}});
}

}  // namespace

std::vector<DirectoryGroup> verify_groups(const std::vector<DirectoryGroup>& groups,
                                          std::vector<FailureRecord>& failures,
                                          const Logger& logger) {
  std::vector<DirectoryGroup> verified;
  for (const DirectoryGroup& group : groups) {
    std::vector<DirectoryGroup> classes;  // each class: files equal to its first one
    for (const std::string& path : group.paths) place(path, group, classes, failures);
    for (DirectoryGroup& cls : classes) {
      if (cls.paths.size() >= 2) {
        verified.push_back(std::move(cls));
        continue;
      }
      logger.warning(cls.paths.front() + ": same " + group.digest + " digest but different bytes");
      failures.push_back(
          verify_failure(cls.paths.front(),
                         "--verify: same digest as another file of its group, different bytes"));
    }
  }
  return verified;
}

}  // namespace dupipe::aggregator
