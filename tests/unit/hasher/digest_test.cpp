// Digests: published test vectors through both entry points, streaming over more than one buffer,
// and per-file errors (directory, missing file, symlink) that name their cause.
#include "hasher/digest.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ostream>
#include <string>

#include "common/os/sys.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::hasher {
namespace {

using testing::TempDir;
using testing::write_file;

struct Vector {
  std::string algorithm;
  std::string input;
  std::string hex;
};

// Readable parameter values in test names and failure messages.
void PrintTo(const Vector& c, std::ostream* os) {
  *os << ::testing::PrintToString(c.algorithm + "(" + c.input + ")");
}

// FIPS 180 / RFC 1321 test vectors.
const Vector kVectors[] = {
    {"md5", "", "d41d8cd98f00b204e9800998ecf8427e"},
    {"md5", "abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"sha1", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {"sha1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {"sha256", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"sha256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    // RFC 7693 appendix A (BLAKE2b-512 of "abc") and the empty string.
    {"blake2b", "abc",
     "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533c"
     "c95"
     "18d38aa8dbf1925ab92386edd4009923"},
    {"blake2b", "",
     "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb"
     "04b"
     "903a685b1448b755d56f701afe9be2ce"},
    // XXH3 128-bit of the empty string, canonical (big-endian) form as xxhsum -H2 prints it.
    {"xxh128", "", "99aa06d3014798d86001c324468d497f"},
};

class DigestVectors : public ::testing::TestWithParam<Vector> {};

TEST_P(DigestVectors, MatchThePublishedValueForBytes) {
  const auto hex = digest_bytes(GetParam().algorithm, GetParam().input);
  ASSERT_TRUE(hex.has_value()) << hex.error().message;
  EXPECT_EQ(*hex, GetParam().hex);
}

TEST_P(DigestVectors, MatchThePublishedValueForAFile) {
  const TempDir dir;
  write_file(dir.file("input"), GetParam().input);
  FileDigester digester(GetParam().algorithm);
  const auto digest = digester.digest_file(dir.file("input"));
  ASSERT_TRUE(digest.has_value()) << digest.error().message;
  EXPECT_EQ(digest->hex, GetParam().hex);
  EXPECT_EQ(digest->size, GetParam().input.size());
}

INSTANTIATE_TEST_SUITE_P(Digest, DigestVectors, ::testing::ValuesIn(kVectors),
                         [](const auto& vector) {
                           return vector.param.algorithm +
                                  (vector.param.input.empty() ? "Empty" : "Abc");
                         });

std::string patterned_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  std::uint32_t state = 12345;
  for (char& byte : bytes) {
    state = state * 1103515245U + 12345U;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

TEST(Digest, StreamsAFileLargerThanTheBuffer) {
  const TempDir dir;
  const std::string content = patterned_bytes(3 * (1U << 20) + 7);
  write_file(dir.file("big"), content);
  for (const char* algorithm : {"md5", "sha1", "sha256"}) {
    FileDigester digester(algorithm, 1U << 20);
    const auto digest = digester.digest_file(dir.file("big"));
    ASSERT_TRUE(digest.has_value()) << digest.error().message;
    EXPECT_EQ(digest->size, content.size());
    EXPECT_EQ(digest->hex, digest_bytes(algorithm, content).value()) << algorithm;
  }
}

TEST(Digest, ReusesOneDigesterForManyFiles) {
  const TempDir dir;
  FileDigester digester("sha256", 7);  // a tiny buffer: many reads per file
  for (int i = 0; i < 5; ++i) {
    const std::string content = patterned_bytes(static_cast<std::size_t>(i) * 100);
    const std::string path = dir.file("f" + std::to_string(i));
    write_file(path, content);
    const auto digest = digester.digest_file(path);
    ASSERT_TRUE(digest.has_value()) << digest.error().message;
    EXPECT_EQ(digest->hex, digest_bytes("sha256", content).value());
  }
}

TEST(Digest, ReportsAMissingFile) {
  const TempDir dir;
  FileDigester digester("sha256");
  const auto digest = digester.digest_file(dir.file("missing"));
  ASSERT_FALSE(digest.has_value());
  EXPECT_NE(digest.error().message.find("No such file or directory"), std::string::npos)
      << digest.error().message;
}

// digest.hpp: "The error names no path: callers add it" (the hasher prefixes the path, so a path
// in this message appears twice in the failure record).
TEST(Digest, ErrorsNameTheCauseButNotThePath) {
  const TempDir dir;
  FileDigester digester("sha256");
  const std::string path = dir.file("missing");
  const auto digest = digester.digest_file(path);
  ASSERT_FALSE(digest.has_value());
  EXPECT_EQ(digest.error().message.find(path), std::string::npos) << digest.error().message;
}

TEST(Digest, RefusesADirectory) {
  const TempDir dir;
  FileDigester digester("sha256");
  const auto digest = digester.digest_file(dir.path().string());
  ASSERT_FALSE(digest.has_value());
  EXPECT_NE(digest.error().message.find("not a regular file"), std::string::npos)
      << digest.error().message;
}

TEST(Digest, RefusesASymlink) {
  const TempDir dir;
  write_file(dir.file("target"), "abc");
  ASSERT_EQ(::symlink(dir.file("target").c_str(), dir.file("link").c_str()), 0);
  FileDigester digester("sha256");
  const auto digest = digester.digest_file(dir.file("link"));
  ASSERT_FALSE(digest.has_value()) << "followed the symlink";
  // O_NOFOLLOW makes open(2) fail with ELOOP.
  EXPECT_NE(digest.error().message.find("symbolic links"), std::string::npos)
      << digest.error().message;
}

TEST(Digest, ThrowsForAnUnsupportedAlgorithm) {
  try {
    FileDigester digester("crc32");
    FAIL() << "constructed a digester for crc32";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("crc32"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), ExitCode::kUsage);
  }
  EXPECT_THROW(FileDigester(""), FatalError);
  EXPECT_THROW(FileDigester("SHA256"), FatalError);
}

TEST(Digest, RefusesAnUnsupportedAlgorithmForBytes) {
  EXPECT_FALSE(digest_bytes("crc32", "abc").has_value());
  EXPECT_TRUE(is_supported_algorithm("sha256"));
  EXPECT_TRUE(is_supported_algorithm("sha1"));
  EXPECT_TRUE(is_supported_algorithm("md5"));
  EXPECT_TRUE(is_supported_algorithm("blake2b"));
  EXPECT_TRUE(is_supported_algorithm("xxh128"));
  EXPECT_FALSE(is_supported_algorithm("sha512"));
}

}  // namespace
}  // namespace dupipe::hasher

namespace dupipe::hasher {
namespace {

// A read that fails is a per-file Error keeping its errno (it becomes a failure record), not a
// stop.
TEST(Digest, AReadFailureIsAnErrorWithItsErrnoNotAStop) {
  const TempDir dir;
  write_file(dir.file("f"), "abc");
  auto fd = sys::open_file(dir.file("f"), O_WRONLY);  // open, but not for reading
  ASSERT_TRUE(fd);
  FileDigester digester("sha256");
  Expected<FileDigest> digest = fail("not run");
  EXPECT_NO_THROW(digest = digester.digest_open(fd->get(), "f"));
  ASSERT_FALSE(digest.has_value());
  EXPECT_EQ(digest.error().errnum, EBADF);
  EXPECT_NE(digest.error().message.find("Bad file descriptor"), std::string::npos)
      << digest.error().message;
}

TEST(Digest, AMissingFileKeepsEnoent) {
  const TempDir dir;
  FileDigester digester("sha256");
  const auto digest = digester.digest_file(dir.file("missing"));
  ASSERT_FALSE(digest.has_value());
  EXPECT_EQ(digest.error().errnum, ENOENT);
}

}  // namespace
}  // namespace dupipe::hasher
