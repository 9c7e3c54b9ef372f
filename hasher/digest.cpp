#include "hasher/digest.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>

#include "common/hex.hpp"
#include "common/sys.hpp"

namespace dupipe::hasher {
namespace {

// Our names, as on the command line and in the report, mapped to OpenSSL's.
const char* openssl_name(std::string_view algorithm) {
  if (algorithm == "sha256") return "SHA256";
  if (algorithm == "sha1") return "SHA1";
  if (algorithm == "md5") return "MD5";
  return nullptr;
}

EvpMd fetch_md(std::string_view algorithm) {
  const char* name = openssl_name(algorithm);
  EvpMd md(name ? EVP_MD_fetch(nullptr, name, nullptr) : nullptr);
  if (!md) throw FatalError("unsupported digest algorithm '" + std::string(algorithm) + "'", ExitCode::kUsage);
  return md;
}

std::string finish(EVP_MD_CTX* context) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context, digest.data(), &length);
  return to_hex(std::span(digest).first(length));
}

}  // namespace

bool is_supported_algorithm(std::string_view algorithm) { return openssl_name(algorithm) != nullptr; }

Expected<std::string> digest_bytes(std::string_view algorithm, std::string_view bytes) {
  if (!is_supported_algorithm(algorithm)) return fail("unsupported digest algorithm");
  const EvpMd md = fetch_md(algorithm);
  const EvpMdCtx context(EVP_MD_CTX_new());
  if (!context || !EVP_DigestInit_ex(context.get(), md.get(), nullptr) ||
      !EVP_DigestUpdate(context.get(), bytes.data(), bytes.size())) {
    return fail("digest failed");
  }
  return finish(context.get());
}

FileDigester::FileDigester(std::string_view algorithm, std::size_t buffer_bytes)
    : md_(fetch_md(algorithm)), context_(EVP_MD_CTX_new()), buffer_(buffer_bytes) {
  if (!context_) throw FatalError("EVP_MD_CTX_new failed");
}

Expected<FileDigest> FileDigester::digest_file(const std::string& path) {
  // O_NONBLOCK so that a FIFO planted where a file should be cannot block open(2) forever.
  const int fd_raw = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd_raw < 0) return fail(errno_message("cannot open", errno));
  const UniqueFd fd(fd_raw);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(errno_message("cannot stat", errno));
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  ::fcntl(fd.get(), F_SETFL, O_RDONLY);  // back to blocking reads for a regular file
  // Tell the kernel we read front to back once: larger read-ahead, pages dropped sooner.
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  if (!EVP_DigestInit_ex(context_.get(), md_.get(), nullptr)) return fail("digest init failed");
  FileDigest result;
  try {
    while (const std::size_t n = sys::read_some(fd.get(), buffer_, path)) {
      EVP_DigestUpdate(context_.get(), buffer_.data(), n);
      result.size += n;
    }
  } catch (const FatalError& e) {
    return fail(e.what());
  }
  result.hex = finish(context_.get());
  return result;
}

}  // namespace dupipe::hasher
