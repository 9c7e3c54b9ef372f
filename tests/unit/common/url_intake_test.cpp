// URL intake: which URLs are accepted and why others are refused, how a list line is classified,
// and that record ids are stable SHA-256 prefixes.
#include "common/protocol/url_intake.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <set>
#include <string>

#include "common/protocol/record_id.hpp"
#include "common/protocol/redaction.hpp"

namespace dupipe {
namespace {

class UrlIntakeAccepts : public ::testing::TestWithParam<std::string> {};

TEST_P(UrlIntakeAccepts, ValidUrl) {
  const auto result = validate_url(GetParam(), UrlPolicy{});
  EXPECT_TRUE(result.has_value()) << GetParam() << ": " << result.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    UrlIntake, UrlIntakeAccepts,
    ::testing::Values("http://example.com", "http://example.com/", "https://example.com/a/b.png",
                      "HTTP://EXAMPLE.COM/Upper", "http://example.com:8080/x",
                      "https://example.com:443/", "http://127.0.0.1/x", "http://[::1]:8080/x",
                      "http://[2001:db8::1]/a", "http://example.com/search?q=a&b=c%20d",
                      "http://example.com/a#fragment", "http://user:pass@example.com/private",
                      "http://user@example.com/", "https://example.com/%E2%82%AC.png"));

struct Rejected {
  std::string url;
  std::string reason;
};

// Readable parameter values in test names and failure messages.
void PrintTo(const Rejected& c, std::ostream* os) { *os << ::testing::PrintToString(c.url); }

class UrlIntakeRejects : public ::testing::TestWithParam<Rejected> {};

TEST_P(UrlIntakeRejects, InvalidUrlWithReason) {
  const auto result = validate_url(GetParam().url, UrlPolicy{});
  ASSERT_FALSE(result.has_value()) << "accepted: " << GetParam().url;
  EXPECT_NE(result.error().message.find(GetParam().reason), std::string::npos)
      << GetParam().url << ": " << result.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    UrlIntake, UrlIntakeRejects,
    ::testing::Values(Rejected{"ftp://example.com/a", "unsupported scheme 'ftp'"},
                      Rejected{"gopher://example.com/", "unsupported scheme"},
                      Rejected{"file:///etc/passwd", "--allow-file"},
                      Rejected{"FILE:///etc/passwd", "--allow-file"},
                      Rejected{"example.com/a.png", "missing scheme"},
                      Rejected{"/etc/passwd", "missing scheme"},
                      Rejected{"://example.com", "missing scheme"}, Rejected{"", "missing scheme"},
                      Rejected{"http://example.com/a b", "space at offset 20"},
                      Rejected{"http://exa mple.com/", "space"},
                      Rejected{std::string("http://example.com/\0x", 21),
                               "control byte 0x00 at offset 19"},
                      Rejected{"http://example.com/\x01", "control byte 0x01"},
                      Rejected{"http://example.com/\x7f", "control byte 0x7f"},
                      Rejected{"http://example.com/a\tb", "control byte 0x09"},
                      Rejected{"http://ex\xc3\xa4mple.com/", "non-ASCII byte 0xc3 at offset 9"},
                      Rejected{"http://example.com/\xff\xfe", "non-ASCII byte 0xff"},
                      Rejected{"http://example.com/\xc3", "non-ASCII"},
                      // RFC 9110 4.2.1: an http(s) URI with an empty host is invalid; libcurl would
                      // read the path's first segment as the host ("http:///x" -> host "x").
                      Rejected{"http:///x", "host"}, Rejected{"https:///etc/passwd", "host"},
                      Rejected{"http:/x", "host"}, Rejected{"http://", "URL"},
                      Rejected{"http://exa_mple.com:99999/", "not a valid URL"},
                      Rejected{"http://example.com/a\\b", "backslash at offset 20"},
                      Rejected{"http:\\\\example.com\\", "backslash at offset 5"}));

TEST(UrlIntake, AcceptsFileUrlsOnlyWithAllowFile) {
  const UrlPolicy allow_file{true};
  EXPECT_TRUE(validate_url("file:///tmp/a.txt", allow_file).has_value());
  EXPECT_FALSE(validate_url("file:///tmp/a.txt", UrlPolicy{}).has_value());
  EXPECT_TRUE(validate_url("http://example.com/", allow_file).has_value());
  EXPECT_FALSE(validate_url("ftp://example.com/", allow_file).has_value());
}

TEST(UrlIntake, RejectsAUrlOverTheLengthLimit) {
  UrlPolicy policy;
  policy.max_url_bytes = 40;
  const std::string prefix = "http://example.com/";
  EXPECT_TRUE(validate_url(prefix + std::string(40 - prefix.size(), 'a'), policy).has_value());
  const auto result = validate_url(prefix + std::string(41 - prefix.size(), 'a'), policy);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("41 bytes long; the limit is 40"), std::string::npos)
      << result.error().message;
}

TEST(UrlIntake, RejectsAUrlOverTheDefaultLimit) {
  const auto result = validate_url("http://example.com/" + std::string(3000, 'a'), UrlPolicy{});
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("limit is 2048"), std::string::npos);
}

struct TrimCase {
  std::string raw;
  std::string trimmed;
};

// Readable parameter values in test names and failure messages.
void PrintTo(const TrimCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.raw); }

class UrlIntakeTrims : public ::testing::TestWithParam<TrimCase> {};

TEST_P(UrlIntakeTrims, SurroundingWhitespace) {
  EXPECT_EQ(trim(GetParam().raw), GetParam().trimmed);
}

INSTANTIATE_TEST_SUITE_P(UrlIntake, UrlIntakeTrims,
                         ::testing::Values(TrimCase{"", ""}, TrimCase{"   ", ""},
                                           TrimCase{"\r", ""}, TrimCase{"a", "a"},
                                           TrimCase{"  a b \t\r", "a b"}, TrimCase{"\v\fx\n", "x"},
                                           TrimCase{"x\r", "x"}));

struct LineCase {
  std::string raw;
  LineVerdict verdict;
  std::string text;
  std::string reason;  // substring; empty when not rejected
};

// Readable parameter values in test names and failure messages.
void PrintTo(const LineCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.raw); }

class UrlIntakeClassifies : public ::testing::TestWithParam<LineCase> {};

TEST_P(UrlIntakeClassifies, ListLine) {
  const ClassifiedLine line = classify_line(GetParam().raw, UrlPolicy{});
  EXPECT_EQ(line.verdict, GetParam().verdict) << GetParam().raw;
  EXPECT_EQ(line.text, GetParam().text);
  if (GetParam().reason.empty()) {
    EXPECT_EQ(line.reason, "");
  } else {
    EXPECT_NE(line.reason.find(GetParam().reason), std::string::npos) << line.reason;
  }
}

INSTANTIATE_TEST_SUITE_P(
    UrlIntake, UrlIntakeClassifies,
    ::testing::Values(
        LineCase{"", LineVerdict::kSkip, "", ""}, LineCase{"  \t ", LineVerdict::kSkip, "", ""},
        LineCase{"\r", LineVerdict::kSkip, "", ""},
        LineCase{"# a comment", LineVerdict::kSkip, "", ""},
        LineCase{"   # indented comment http://x/", LineVerdict::kSkip, "", ""},
        LineCase{"http://example.com/a", LineVerdict::kAccept, "http://example.com/a", ""},
        LineCase{"  http://example.com/a \t\r", LineVerdict::kAccept, "http://example.com/a", ""},
        LineCase{"http://example.com/a#not-a-comment", LineVerdict::kAccept,
                 "http://example.com/a#not-a-comment", ""},
        LineCase{" ftp://example.com/ \r", LineVerdict::kReject, "ftp://example.com/",
                 "unsupported scheme"},
        LineCase{"not a url", LineVerdict::kReject, "not a url", "space"}));

TEST(UrlIntake, MakesTheKnownIdForAFixedUrl) {
  // printf %s 'https://example.com/a.png' | sha256sum | cut -c1-16
  EXPECT_EQ(make_record_id("https://example.com/a.png"), "494a30704d4f32ac");
  // printf %s '' | sha256sum | cut -c1-16
  EXPECT_EQ(make_record_id(""), "e3b0c44298fc1c14");
}

TEST(UrlIntake, MakesStableIdsOfSixteenLowercaseHexDigits) {
  const std::string id = make_record_id("http://example.com/x");
  EXPECT_EQ(id, make_record_id("http://example.com/x"));
  ASSERT_EQ(id.size(), 16U);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
}

TEST(UrlIntake, MakesDifferentIdsForDifferentUrls) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i)
    ids.insert(make_record_id("http://example.com/" + std::to_string(i)));
  EXPECT_EQ(ids.size(), 1000U);
  EXPECT_NE(make_record_id("http://example.com/A"), make_record_id("http://example.com/a"));
}

TEST(UrlIntake, QuotesAnOverlongSchemeShortened) {
  const auto result = validate_url(std::string(100000, 'a') + "://example.com/", UrlPolicy{});
  ASSERT_FALSE(result.has_value());
  const auto result_in_limit = validate_url(std::string(1000, 'a') + "://x/", UrlPolicy{});
  ASSERT_FALSE(result_in_limit.has_value());
  EXPECT_NE(result_in_limit.error().message.find("unsupported scheme 'aaaa"), std::string::npos);
  EXPECT_NE(result_in_limit.error().message.find("...' (1000 bytes)"), std::string::npos)
      << result_in_limit.error().message;
  EXPECT_LT(result_in_limit.error().message.size(), 120U) << result_in_limit.error().message;
}

TEST(UrlIntake, SaysAtLeastForALineTheListReaderCut) {
  const auto result = validate_url(
      "http://example.com/" + std::string(kMaxListLineBytes, 'a').substr(19), UrlPolicy{});
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("at least 1048576 bytes long"), std::string::npos)
      << result.error().message;
}

TEST(UrlIntake, AcceptsEachHostileButValidForm) {
  for (const std::string url :
       {"http://user:password@example.com/a", "http://us%40er:p%3Ass@example.com/",
        "http://[::1]/x", "http://[::ffff:127.0.0.1]:80/x", "http://[fe80::1%25eth0]/x",
        "https://example.com/a%00b", "http://example.com/%C3%A4"}) {
    const auto result = validate_url(url, UrlPolicy{});
    EXPECT_TRUE(result.has_value()) << url << ": " << result.error().message;
  }
}

struct RedactCase {
  std::string text;
  std::string redacted;
};

void PrintTo(const RedactCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.text); }

class UrlIntakeRedacts : public ::testing::TestWithParam<RedactCase> {};

TEST_P(UrlIntakeRedacts, PasswordsInUrls) {
  EXPECT_EQ(redact_credentials(GetParam().text), GetParam().redacted);
}

INSTANTIATE_TEST_SUITE_P(
    UrlIntake, UrlIntakeRedacts,
    ::testing::Values(
        RedactCase{"http://user:secret@example.com/a", "http://user:***@example.com/a"},
        RedactCase{"https://u:p@h", "https://u:***@h"},
        RedactCase{"http://user@example.com/a", "http://user@example.com/a"},
        RedactCase{"http://user:@example.com/", "http://user:@example.com/"},
        RedactCase{"http://:pw@example.com/", "http://:***@example.com/"},
        // The last '@' ends the userinfo, as in libcurl and WHATWG.
        RedactCase{"http://u:p@ss@example.com/", "http://u:***@example.com/"},
        RedactCase{"http://example.com/a:b@c", "http://example.com/a:b@c"},
        RedactCase{"http://example.com:80/?x=u:p@h", "http://example.com:80/?x=u:p@h"},
        RedactCase{"line 3: http://a:b@h/ and ftp://c:d@k/x",
                   "line 3: http://a:***@h/ and ftp://c:***@k/x"},
        RedactCase{"no url here", "no url here"}, RedactCase{"", ""}, RedactCase{"://", "://"},
        RedactCase{"x://a:b@", "x://a:***@"},
        RedactCase{"http://a:b@h http://c:d@k", "http://a:***@h http://c:***@k"},
        RedactCase{"x://a:p@q://r:s@t", "x://a:***@q://r:***@t"},
        RedactCase{"x://q://r:s@t/", "x://q://r:***@t/"},
        // A NUL or a space ends the authority: nothing after it is taken for a password.
        RedactCase{std::string("http://a:b\0@h", 13), std::string("http://a:b\0@h", 13)},
        RedactCase{"http://a:b c@h", "http://a:b c@h"}));

}  // namespace
}  // namespace dupipe
