// Which URLs the producer has already accepted, for dropping exact repeats. Keeps a 128-bit
// SHA-256 prefix per distinct URL instead of the URL itself, so memory does not depend on URL
// length: about 64 bytes per distinct URL (docs/SECURITY.md has the measured figure). Two
// different URLs share a key with probability ~n^2 / 2^129 (1e-26 for a million URLs).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace dupipe::producer {

class SeenUrls {
 public:
  // The line that first held `url`, or nullopt (and `line_number` is remembered) if it is new.
  [[nodiscard]] std::optional<std::uint64_t> first_line_of(std::string_view url,
                                                           std::uint64_t line_number);
  [[nodiscard]] std::size_t size() const { return lines_.size(); }

 private:
  using Key = std::array<unsigned char, 16>;
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept;
  };
  std::unordered_map<Key, std::uint64_t, KeyHash> lines_;
};

}  // namespace dupipe::producer
