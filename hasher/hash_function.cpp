#include "hasher/hash_function.hpp"

#include <xxhash.h>

#include <array>

#include "common/base/error.hpp"
#include "common/base/hex.hpp"

namespace dupipe::hasher {
namespace {

// Our names, as on the command line and in the report, mapped to OpenSSL's.
const char* openssl_name(std::string_view algorithm) {
  if (algorithm == "sha256") return "SHA256";
  if (algorithm == "sha1") return "SHA1";
  if (algorithm == "md5") return "MD5";
  if (algorithm == "blake2b") return "BLAKE2B-512";
  return nullptr;
}

constexpr std::string_view kXxh128 = "xxh128";

}  // namespace

bool is_supported_algorithm(std::string_view algorithm) {
  return openssl_name(algorithm) != nullptr || algorithm == kXxh128;
}

void HashFunction::XxhDeleter::operator()(XXH3_state_s* state) const { XXH3_freeState(state); }

HashFunction::HashFunction(std::string_view algorithm) {
  if (algorithm == kXxh128) {
    xxh_.reset(XXH3_createState());
    if (!xxh_) throw FatalError("XXH3_createState failed");
  } else {
    const char* name = openssl_name(algorithm);
    md_.reset(name ? EVP_MD_fetch(nullptr, name, nullptr) : nullptr);
    if (!md_)
      throw FatalError("unsupported digest algorithm '" + std::string(algorithm) + "'",
                       ExitCode::kUsage);
    context_.reset(EVP_MD_CTX_new());
    if (!context_) throw FatalError("EVP_MD_CTX_new failed");
  }
  reset();
}

void HashFunction::reset() {
  const bool ok = xxh_ ? XXH3_128bits_reset(xxh_.get()) == XXH_OK
                       : EVP_DigestInit_ex(context_.get(), md_.get(), nullptr) == 1;
  if (!ok) throw FatalError("digest initialisation failed");
}

void HashFunction::update(std::span<const char> bytes) {
  if (xxh_) {
    XXH3_128bits_update(xxh_.get(), bytes.data(), bytes.size());
  } else {
    EVP_DigestUpdate(context_.get(), bytes.data(), bytes.size());
  }
}

std::string HashFunction::finish_hex() {
  std::string hex;
  if (xxh_) {
    XXH128_canonical_t canonical{};
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(xxh_.get()));
    hex = to_hex(std::span(canonical.digest));
  } else {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(context_.get(), digest.data(), &length);
    hex = to_hex(std::span(digest).first(length));
  }
  reset();
  return hex;
}

}  // namespace dupipe::hasher
