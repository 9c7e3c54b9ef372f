// Lossless name encodings: UTF-8 validity (overlong forms, surrogates, truncation), RFC 4648
// base64 vectors, CSV quoting, and shell quoting checked by bash itself.
#include "aggregator/name_encoding.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/unit/test_support.hpp"

namespace dupipe::aggregator {
namespace {

TEST(NameEncoding, TellsValidUtf8FromInvalid) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii\n\t"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("bad\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong, three bytes
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xc3(x"));            // bad continuation
}

TEST(NameEncoding, EncodesTheRfc4648Base64Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("\xff\xfe"), "//4=");
}

TEST(NameEncoding, QuotesCsvFieldsOnlyWhenNeeded) {
  EXPECT_EQ(csv_field("/a/b"), "/a/b");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("new\nline"), "\"new\nline\"");
}

TEST(NameEncoding, ShellQuotingExpandsToTheExactBytes) {
  std::string every_byte;
  for (int value = 1; value < 256; ++value) every_byte += static_cast<char>(value);
  const testing::TempDir dir;
  const std::string script = dir.file("q.sh");
  testing::write_file(
      script, "printf %s " + shell_quote(every_byte) + " > " + shell_quote(dir.file("out")) + "\n");
  ASSERT_EQ(std::system(("bash " + script).c_str()), 0);
  EXPECT_EQ(testing::read_file(dir.file("out")), every_byte);
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
}

}  // namespace
}  // namespace dupipe::aggregator
