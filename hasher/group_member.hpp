// One large file (> kWholeFileBytes) of a size group, from its first read until its group is
// resolved. Opened once: the first kEdgeBytes are read with read(2) and are already the start of
// the full digest, the last kEdgeBytes are read with pread and kept, and the key of both edges
// decides whether the rest is read at all. finish() continues the same pass from where the first
// read stopped and feeds the kept tail last, so every byte is read once. Without keep_open (a
// group too large to hold open) only the key is kept and the descriptor is closed at once.
// Move-only; owns its descriptor and digest state; not thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/os/unique_fd.hpp"
#include "common/protocol/records.hpp"
#include "hasher/digest.hpp"
#include "hasher/hash_function.hpp"

namespace dupipe::hasher {

class GroupMember {
 public:
  // Opens `file` and reads its edges into `buffer` (at least 2 x kEdgeBytes). `edge_hash` makes
  // the edge key (any algorithm: a collision only costs a full read, never a wrong group). The
  // error is a cause without the path.
  [[nodiscard]] static Expected<GroupMember> open(const DirectoryFileRecord& file,
                                                  std::string_view algorithm,
                                                  HashFunction& edge_hash, std::span<char> buffer,
                                                  bool keep_open);

  [[nodiscard]] const DirectoryFileRecord& file() const { return file_; }
  [[nodiscard]] const std::string& edge_key() const { return edge_key_; }
  [[nodiscard]] bool is_open() const { return fd_.is_open(); }
  void close() { fd_.reset(); }

  // The hex digest of the whole file: reads from kEdgeBytes to size - kEdgeBytes in reads of
  // `buffer`'s size after posix_fadvise(SEQUENTIAL), then the kept tail; checks the identity
  // again; closes. Only when is_open(). The error is a cause without the path.
  [[nodiscard]] Expected<std::string> finish(std::span<char> buffer);

 private:
  GroupMember(DirectoryFileRecord file, UniqueFd fd) : file_(std::move(file)), fd_(std::move(fd)) {}

  DirectoryFileRecord file_;
  UniqueFd fd_;
  std::optional<HashFunction> full_;  // the digest so far; only while open
  std::string tail_;                  // the last kEdgeBytes; only while open
  std::string edge_key_;
};

}  // namespace dupipe::hasher
