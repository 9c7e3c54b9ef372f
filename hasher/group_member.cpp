#include "hasher/group_member.hpp"

#include <fcntl.h>

#include <algorithm>

#include "hasher/directory_file_hasher.hpp"

namespace dupipe::hasher {

Expected<GroupMember> GroupMember::open(const DirectoryFileRecord& file, std::string_view algorithm,
                                        HashFunction& edge_hash, std::span<char> buffer,
                                        bool keep_open) {
  // No O_NOFOLLOW, as in hash_directory_file: the device and inode check ties the file to the walk.
  auto opened = open_regular_file(file.path, false);
  if (!opened) return tl::unexpected(opened.error());
  if (auto change = change_since_walk(opened->identity, file); !change.empty()) return fail(change);
  GroupMember member(file, std::move(opened->fd));
  const std::span<char> head = buffer.first(kEdgeBytes),
                        tail = buffer.subspan(kEdgeBytes, kEdgeBytes);
  // read(2), not pread: the file offset is then where finish() goes on.
  if (auto ok = read_exactly(member.fd_.get(), head, -1); !ok) return tl::unexpected(ok.error());
  const auto tail_offset = static_cast<off_t>(file.size - kEdgeBytes);
  if (auto ok = read_exactly(member.fd_.get(), tail, tail_offset); !ok)
    return tl::unexpected(ok.error());
  edge_hash.update(head);
  edge_hash.update(tail);
  member.edge_key_ = edge_hash.finish_hex();
  if (keep_open) {
    member.full_.emplace(algorithm);
    member.full_->update(head);
    member.tail_.assign(tail.data(), tail.size());
  } else {
    member.close();
  }
  return member;
}

Expected<std::string> GroupMember::finish(std::span<char> buffer) {
  const int fd = fd_.get();
  // Now that the whole file will be read: larger read-ahead, pages dropped sooner. Not before
  // the edges, so a file ruled out by them is not read ahead.
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  for (std::uint64_t left = file_.size - 2 * kEdgeBytes; left > 0;) {
    const std::span<char> piece =
        buffer.first(static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size())));
    if (auto ok = read_exactly(fd, piece, -1); !ok) return tl::unexpected(ok.error());
    full_->update(piece);
    left -= piece.size();
  }
  full_->update(tail_);
  std::string hex = full_->finish_hex();
  // The tail was read before the middle: a write in between shows as a new mtime or size.
  std::string change = change_since_walk(fd, file_);
  close();
  full_.reset();
  tail_.clear();
  if (!change.empty()) return fail(change);
  return hex;
}

}  // namespace dupipe::hasher
