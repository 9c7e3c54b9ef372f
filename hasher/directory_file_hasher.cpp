#include "hasher/directory_file_hasher.hpp"

namespace dupipe::hasher {

FailureRecord directory_failure(const DirectoryFileRecord& file, const std::string& cause) {
  return FailureRecord{file.id, file.path, Stage::kHasher, file.path + ": " + cause};
}

std::string change_since_walk(const FileIdentity& now, const DirectoryFileRecord& file) {
  if (now.device != file.device || now.inode != file.inode) return "replaced since the walk";
  if (now.size != file.size) {
    return "changed since the walk: size " + std::to_string(file.size) + " -> " +
           std::to_string(now.size);
  }
  if (now.mtime_ns != file.mtime_ns) return "changed since the walk: modification time differs";
  return {};
}

std::string change_since_walk(int fd, const DirectoryFileRecord& file) {
  const auto now = identity_of(fd);
  return now ? change_since_walk(*now, file) : now.error().message;
}

Record hash_directory_file(const DirectoryFileRecord& file, FileDigester& digester,
                           const std::string& algorithm) {
  // Followed symbolic links reach the file under the walked name, so no O_NOFOLLOW here; the
  // device and inode check below is what ties the open file to the walked one.
  auto opened = open_regular_file(file.path, false);
  if (!opened) return directory_failure(file, opened.error().message);
  const int fd = opened->fd.get();
  if (auto change = change_since_walk(opened->identity, file); !change.empty())
    return directory_failure(file, change);
  auto digest = digester.digest_open(fd, file.path, file.size);
  if (!digest) return directory_failure(file, digest.error().message);
  if (digest->size != file.size) {
    return directory_failure(file, "size changed: expected " + std::to_string(file.size) +
                                       " bytes, read " + std::to_string(digest->size));
  }
  // A write during a pass of several reads shows as a new mtime even when the size stayed the
  // same; a file that one read took whole was checked at open, just before.
  if (file.size > digester.buffer_bytes()) {
    if (auto change = change_since_walk(fd, file); !change.empty())
      return directory_failure(file, change);
  }
  return DigestRecord{file.id, "", file.path, digest->size, algorithm, std::move(digest->hex)};
}

}  // namespace dupipe::hasher
