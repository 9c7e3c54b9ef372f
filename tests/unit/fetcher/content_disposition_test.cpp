// Content-Disposition names: the header is parsed (filename* wins, quotes and escapes handled),
// and whatever it holds, the built name is one safe component inside the files directory.
#include "fetcher/content_disposition.hpp"

#include <gtest/gtest.h>

#include "fetcher/file_naming.hpp"

namespace dupipe::fetcher {
namespace {

using namespace std::string_literals;

TEST(ContentDisposition, ReadsQuotedTokenAndExtendedForms) {
  EXPECT_EQ(disposition_filename("attachment; filename=\"a b.pdf\""), "a b.pdf");
  EXPECT_EQ(disposition_filename("attachment; filename=plain.txt; size=3"), "plain.txt");
  EXPECT_EQ(disposition_filename("attachment; filename=\"q\\\"x\""), "q\"x");
  EXPECT_EQ(disposition_filename("attachment; filename=\"old.txt\"; filename*=UTF-8''n%C3%A9w.txt"),
            "n\xC3\xA9w.txt");
  EXPECT_EQ(disposition_filename("inline"), "");
  EXPECT_EQ(disposition_filename(""), "");
}

TEST(ContentDisposition, KeepsOnlyTheLastPathSegment) {
  EXPECT_EQ(disposition_filename("attachment; filename=\"../../x/pwned.txt\""), "pwned.txt");
  EXPECT_EQ(disposition_filename("attachment; filename=\"/etc/passwd\""), "passwd");
  EXPECT_EQ(disposition_filename("attachment; filename=\"C:\\\\tmp\\\\r.pdf\""), "r.pdf");
  EXPECT_EQ(disposition_filename("attachment; filename*=UTF-8''a%2F..%2Fb.txt"), "b.txt");
  EXPECT_EQ(disposition_filename("attachment; filename=\"dir/\""), "");
  EXPECT_EQ(build_file_name("id", "http://h/a.txt", "",
                            disposition_filename("attachment; filename=\"../../x/pwned.txt\"")),
            "id-pwned.txt");
}

class ContentDispositionNames : public ::testing::TestWithParam<std::string> {};

TEST_P(ContentDispositionNames, AlwaysGiveOneSafeComponent) {
  const std::string name = build_file_name("0123456789abcdef", "http://h/a.txt", "text/plain",
                                           disposition_filename(GetParam()));
  SCOPED_TRACE(name);
  EXPECT_TRUE(name.starts_with("0123456789abcdef-"));
  EXPECT_EQ(name.find('/'), std::string::npos);
  EXPECT_EQ(name.find('\\'), std::string::npos);
  EXPECT_LE(name.size(), 255U);
  for (const char c : name) EXPECT_GT(static_cast<unsigned char>(c), 0x20);
}

INSTANTIATE_TEST_SUITE_P(
    ContentDisposition, ContentDispositionNames,
    ::testing::Values("attachment; filename=\"../../x\"", "attachment; filename=\"/etc/x\"",
                      "attachment; filename=\"..\\\\x\"", "attachment; filename=\"a/b\"",
                      "attachment; filename=\".bashrc\"", "attachment; filename=\"x%2Fy\"",
                      "attachment; filename*=UTF-8''x%2F..%2Fy",
                      "attachment; filename*=UTF-8''a%0Ab", "attachment; filename*=UTF-8''a%00b"s,
                      "attachment; filename=\"" + std::string(300, 'n') + "\"",
                      "attachment; filename=\"..\""));

TEST(ContentDisposition, KeepsAHarmlessNameAndFallsBackToTheUrl) {
  EXPECT_EQ(build_file_name("id", "http://h/a.txt", "",
                            disposition_filename("attachment; filename=r.pdf")),
            "id-r.pdf");
  EXPECT_EQ(build_file_name("id", "http://h/a.txt", "",
                            disposition_filename("attachment; filename=\"...\"")),
            "id-a.txt");
}

}  // namespace
}  // namespace dupipe::fetcher
