#include "common/protocol/record_id.hpp"

#include <openssl/evp.h>

#include <array>
#include <span>

#include "common/base/hex.hpp"

namespace dupipe {

std::string make_record_id(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return to_hex(std::span(digest).first(8));
}

}  // namespace dupipe
