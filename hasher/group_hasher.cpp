#include "hasher/group_hasher.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <unordered_map>

#include "hasher/directory_file_hasher.hpp"

namespace dupipe::hasher {

// A file the group hasher digests whole on arrival fits the read buffer, so one read takes it.
static_assert(kReadBufferBytes >= kWholeFileBytes);

std::size_t open_file_budget(std::size_t wanted) {
  constexpr std::size_t kReserve = 64;  // links, logs, the trace file
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  const auto soft = static_cast<std::size_t>(limit.rlim_cur);
  return std::max<std::size_t>(1,
                               std::min(wanted, soft > 2 * kReserve ? soft - kReserve : soft / 2));
}

std::vector<bool> edge_collisions(const std::vector<std::string>& keys) {
  std::unordered_map<std::string_view, std::size_t> seen;
  for (const std::string& key : keys) ++seen[key];
  std::vector<bool> result;
  result.reserve(keys.size());
  for (const std::string& key : keys) result.push_back(seen[key] > 1);
  return result;
}

GroupHasher::GroupHasher(std::string algorithm, std::size_t max_open_files,
                         std::size_t buffer_bytes)
    : algorithm_(std::move(algorithm)),
      max_open_files_(max_open_files),
      digester_(algorithm_, std::max(buffer_bytes, 2 * kEdgeBytes)) {}

void GroupHasher::begin(const GroupRecord& group) {
  if (is_inside_group()) {
    throw FatalError("G record inside a group of " + std::to_string(group_.size) + "-byte files (" +
                         std::to_string(left_) + " still to come)",
                     ExitCode::kProtocol);
  }
  group_ = group;
  left_ = group.files;
  members_.clear();
}

void GroupHasher::add(const DirectoryFileRecord& file, std::vector<Record>& out) {
  if (!is_inside_group())
    throw FatalError(file.path + ": W record outside a group (no G record before it)",
                     ExitCode::kProtocol);
  if (file.size != group_.size) {
    throw FatalError(file.path + ": W record of " + std::to_string(file.size) +
                         " bytes in a group of " + std::to_string(group_.size) + "-byte files",
                     ExitCode::kProtocol);
  }
  --left_;
  if (file.size <= kWholeFileBytes) {
    out.push_back(hash_directory_file(file, digester_, algorithm_));
    count(out.back());
  } else {
    add_large(file, out);
  }
  if (!is_inside_group()) resolve(out);
}

void GroupHasher::add_large(const DirectoryFileRecord& file, std::vector<Record>& out) {
  const bool keep_open = group_.files <= max_open_files_;
  auto member = GroupMember::open(file, algorithm_, edge_hash_, digester_.buffer(), keep_open);
  if (!member) {
    out.push_back(directory_failure(file, member.error().message));
    return;
  }
  members_.push_back(std::move(*member));
}

void GroupHasher::resolve(std::vector<Record>& out) {
  std::vector<std::string> keys;
  keys.reserve(members_.size());
  for (const GroupMember& member : members_) keys.push_back(member.edge_key());
  const std::vector<bool> collides = edge_collisions(keys);
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (collides[i]) {
      out.push_back(read_on(members_[i]));
      count(out.back());
    } else {
      members_[i].close();
      ++counts_.unique_partial;
      counts_.partial_bytes += 2 * kEdgeBytes;
    }
  }
  members_.clear();
}

Record GroupHasher::read_on(GroupMember& member) {
  const DirectoryFileRecord& file = member.file();
  if (!member.is_open()) {  // the group was too large to hold open: read it again from the start
    ++counts_.reopened;
    counts_.partial_bytes += 2 * kEdgeBytes;
    return hash_directory_file(file, digester_, algorithm_);
  }
  auto hex = member.finish(digester_.buffer());
  if (!hex) return directory_failure(file, hex.error().message);
  return DigestRecord{file.id, "", file.path, file.size, algorithm_, std::move(*hex)};
}

void GroupHasher::count(const Record& result) {
  if (const auto* digest = std::get_if<DigestRecord>(&result)) counts_.full_bytes += digest->size;
}

std::size_t GroupHasher::open_files() const {
  return static_cast<std::size_t>(std::count_if(members_.begin(), members_.end(),
                                                [](const GroupMember& m) { return m.is_open(); }));
}

}  // namespace dupipe::hasher
