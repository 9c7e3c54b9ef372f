// One incremental hash behind one interface: OpenSSL EVP for the cryptographic algorithms
// (sha256, sha1, md5, blake2b = BLAKE2b-512) and libxxhash for xxh128 (XXH3 128-bit, fast and
// non-cryptographic). Owns its contexts; reusable after finish_hex(); not thread-safe.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/os/c_handles.hpp"

struct XXH3_state_s;

namespace dupipe::hasher {

// Names accepted by --algo.
[[nodiscard]] bool is_supported_algorithm(std::string_view algorithm);

class HashFunction {
 public:
  // Throws FatalError (exit 2) for an unsupported algorithm.
  explicit HashFunction(std::string_view algorithm);

  void reset();
  void update(std::span<const char> bytes);
  // Lowercase hex of the digest (xxh128: the canonical big-endian form, as xxhsum -H2 prints).
  [[nodiscard]] std::string finish_hex();

 private:
  struct XxhDeleter {
    void operator()(XXH3_state_s* state) const;
  };

  EvpMd md_;  // null for xxh128
  EvpMdCtx context_;
  std::unique_ptr<XXH3_state_s, XxhDeleter> xxh_;
};

}  // namespace dupipe::hasher
