#include "producer/seen_urls.hpp"

#include <openssl/evp.h>

#include <cstring>

namespace dupipe::producer {

std::size_t SeenUrls::KeyHash::operator()(const Key& key) const noexcept {
  std::size_t hash = 0;  // the key is already uniformly distributed: any 8 of its bytes will do
  std::memcpy(&hash, key.data(), sizeof hash);
  return hash;
}

std::optional<std::uint64_t> SeenUrls::first_line_of(std::string_view url,
                                                     std::uint64_t line_number) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(url.data(), url.size(), digest.data(), &length, EVP_sha256(), nullptr);
  Key key{};
  std::memcpy(key.data(), digest.data(), key.size());
  const auto [entry, is_new] = lines_.try_emplace(key, line_number);
  if (is_new) return std::nullopt;
  return entry->second;
}

}  // namespace dupipe::producer
