// The directory-mode hasher's core: takes one size group at a time (a G record, then its W
// records, docs/PROTOCOL.md) and turns it into H records for the files that may have a
// duplicate and F records for those that failed or changed, opening every file once. Small files
// (<= kWholeFileBytes) are digested whole on arrival. Larger ones are opened and their edges
// read as they arrive (GroupMember); with the group complete, files whose edge key no other file
// of the group has are closed unread, the others are read on to the end. A group of more than
// `max_open_files` large files is the exception: its files are closed after their edges and the
// colliding ones opened again (docs/PERFORMANCE.md). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/protocol/records.hpp"
#include "hasher/digest.hpp"
#include "hasher/group_member.hpp"
#include "hasher/hash_function.hpp"

namespace dupipe::hasher {

// Descriptors one group may hold open, far below the usual RLIMIT_NOFILE of 1024.
inline constexpr std::size_t kDefaultMaxOpenFiles = 256;

// `wanted`, lowered to leave a reserve under the soft RLIMIT_NOFILE for the stage's own links.
[[nodiscard]] std::size_t open_file_budget(std::size_t wanted);

// For each key, whether another entry has the same one (the files that must be read in full).
[[nodiscard]] std::vector<bool> edge_collisions(const std::vector<std::string>& keys);

struct GroupCounts {
  std::uint64_t full_bytes = 0;      // bytes of the files digested in full
  std::uint64_t partial_bytes = 0;   // edge bytes read that are not part of a full digest
  std::uint64_t unique_partial = 0;  // large files ruled out by their edges
  std::uint64_t reopened = 0;        // files opened a second time (groups above the limit)
};

class GroupHasher {
 public:
  GroupHasher(std::string algorithm, std::size_t max_open_files,
              std::size_t buffer_bytes = kReadBufferBytes);

  // Starts a group. Throws FatalError (kProtocol) while another group is incomplete.
  void begin(const GroupRecord& group);
  // Takes one member of the current group and appends what it completes to `out`: its own
  // digest or failure (small files, failed opens) or, for the last member, the whole group's.
  // Throws FatalError (kProtocol) outside a group or for a file of another size.
  void add(const DirectoryFileRecord& file, std::vector<Record>& out);

  [[nodiscard]] bool is_inside_group() const { return left_ > 0; }
  [[nodiscard]] const GroupCounts& counts() const { return counts_; }
  [[nodiscard]] std::size_t open_files() const;

 private:
  void add_large(const DirectoryFileRecord& file, std::vector<Record>& out);
  void resolve(std::vector<Record>& out);
  [[nodiscard]] Record read_on(GroupMember& member);
  void count(const Record& result);

  std::string algorithm_;
  std::size_t max_open_files_;
  FileDigester digester_;  // small and reopened files; its buffer is lent to the members
  HashFunction edge_hash_{"xxh128"};
  GroupRecord group_{};
  std::uint64_t left_ = 0;  // members of the current group still to come
  std::vector<GroupMember> members_;
  GroupCounts counts_;
};

}  // namespace dupipe::hasher
