// Streaming file digests with OpenSSL EVP: one open, one sequential pass with a large reused
// buffer, never the whole file in memory. One FileDigester per process; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/c_handles.hpp"
#include "common/error.hpp"

namespace dupipe::hasher {

struct FileDigest {
  std::uint64_t size = 0;
  std::string hex;
};

// Hex digest of a byte string (used by tests against published vectors).
[[nodiscard]] Expected<std::string> digest_bytes(std::string_view algorithm, std::string_view bytes);

// Names accepted by --algo.
[[nodiscard]] bool is_supported_algorithm(std::string_view algorithm);

class FileDigester {
 public:
  // Throws FatalError for an unsupported algorithm.
  explicit FileDigester(std::string_view algorithm, std::size_t buffer_bytes = 1 << 20);

  // The error names no path: callers add it. Only regular files are hashed.
  [[nodiscard]] Expected<FileDigest> digest_file(const std::string& path);

 private:
  EvpMd md_;
  EvpMdCtx context_;
  std::vector<char> buffer_;
};

}  // namespace dupipe::hasher
