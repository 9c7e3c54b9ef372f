// The crawl frontier's URL key: each canonicalisation rule with the spellings it merges and the
// resources it keeps apart, the URLs that get no key, what libcurl 7.88 does on its own (so that an
// upgrade that changes it shows here), and the trap limits at and around each bound.
#include "crawl/url_key.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "common/os/c_handles.hpp"

namespace dupipe::crawl {
namespace {

struct UrlKeyCase {
  std::string url;
  std::string key;
};

void PrintTo(const UrlKeyCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.url); }

class UrlKeyCanonical : public ::testing::TestWithParam<UrlKeyCase> {};

TEST_P(UrlKeyCanonical, MapsTheUrlToItsKey) {
  const auto key = url_key(GetParam().url);
  ASSERT_TRUE(key.has_value()) << GetParam().url << ": " << key.error().message;
  EXPECT_EQ(*key, GetParam().key) << GetParam().url;
}

INSTANTIATE_TEST_SUITE_P(
    SchemeHostPort, UrlKeyCanonical,
    ::testing::Values(
        UrlKeyCase{"HTTP://Example.COM:80/a/./b/../c?Q=1#frag", "http://example.com/a/c?Q=1"},
        UrlKeyCase{"HTTPS://WWW.Example.COM/Index.HTML", "https://www.example.com/Index.HTML"},
        UrlKeyCase{"https://h:443", "https://h/"}, UrlKeyCase{"http://h:0080/", "http://h/"},
        UrlKeyCase{"http://h:/", "http://h/"}, UrlKeyCase{"http://h:8080/", "http://h:8080/"},
        UrlKeyCase{"https://h:80/", "https://h:80/"}, UrlKeyCase{"http://h:443/", "http://h:443/"},
        UrlKeyCase{"http://1.2.3.4:80/", "http://1.2.3.4/"},
        UrlKeyCase{"http://[::1]:80/", "http://[::1]/"},
        UrlKeyCase{"http://[::FFFF:1.2.3.4]:8080/", "http://[::ffff:1.2.3.4]:8080/"},
        UrlKeyCase{"http://[fe80::1%25eth0]/", "http://[fe80::1%25eth0]/"},
        UrlKeyCase{"http://%41bc/", "http://abc/"}, UrlKeyCase{"http://h./", "http://h./"}));

INSTANTIATE_TEST_SUITE_P(
    PercentEncoding, UrlKeyCanonical,
    ::testing::Values(
        UrlKeyCase{"http://h/%7e", "http://h/~"}, UrlKeyCase{"http://h/%2f", "http://h/%2F"},
        UrlKeyCase{"http://h/%41", "http://h/A"},
        UrlKeyCase{"http://h/%7E%5f%2D%2e%30%7a", "http://h/~_-.0z"},
        UrlKeyCase{"http://h/%c3%a9", "http://h/%C3%A9"},
        UrlKeyCase{"http://h/a%20b%3a", "http://h/a%20b%3A"},
        UrlKeyCase{"http://h/?x=%7e&y=%2f", "http://h/?x=~&y=%2F"},
        UrlKeyCase{"http://h/%zz", "http://h/%zz"}, UrlKeyCase{"http://h/a%4", "http://h/a%4"},
        UrlKeyCase{"http://h/a%", "http://h/a%"}, UrlKeyCase{"http://h/%257e", "http://h/%257e"}));

INSTANTIATE_TEST_SUITE_P(
    Path, UrlKeyCanonical,
    ::testing::Values(
        UrlKeyCase{"http://h", "http://h/"}, UrlKeyCase{"http://h?q", "http://h/?q"},
        UrlKeyCase{"http://h/A", "http://h/A"}, UrlKeyCase{"http://h/a/b/..", "http://h/a/"},
        UrlKeyCase{"http://h/a/b/.", "http://h/a/b/"}, UrlKeyCase{"http://h/a/..", "http://h/"},
        UrlKeyCase{"http://h/../../a", "http://h/a"},
        UrlKeyCase{"http://h/a/%2E%2E/b", "http://h/b"},
        UrlKeyCase{"http://h/a/%2e/b", "http://h/a/b"}, UrlKeyCase{"http://h/a/.%2E", "http://h/"},
        UrlKeyCase{"http://h/a/..b/.c/b..", "http://h/a/..b/.c/b.."},
        UrlKeyCase{"http://h/a//b/", "http://h/a//b/"},
        UrlKeyCase{"http://h/a;p=1", "http://h/a;p=1"}));

INSTANTIATE_TEST_SUITE_P(
    QueryFragmentUserinfo, UrlKeyCanonical,
    ::testing::Values(UrlKeyCase{"http://h/?b=2&a=1", "http://h/?b=2&a=1"},
                      UrlKeyCase{"http://h/?Q=A", "http://h/?Q=A"},
                      UrlKeyCase{"http://h/a?b?c/../d", "http://h/a?b?c/../d"},
                      UrlKeyCase{"http://h/a#f?x", "http://h/a"},
                      UrlKeyCase{"http://h/#", "http://h/"}, UrlKeyCase{"http://h/?", "http://h/"},
                      UrlKeyCase{"http://h/?#f", "http://h/"},
                      UrlKeyCase{"http://User:Pa%73s@H/", "http://User:Pass@h/"},
                      UrlKeyCase{"http://user@h/", "http://user@h/"},
                      UrlKeyCase{"http://:secret@h/", "http://:secret@h/"},
                      UrlKeyCase{"http://@h/", "http://h/"},
                      UrlKeyCase{"http://:@h/", "http://h/"}));

std::vector<std::string> urlkey_keys_of(const std::vector<std::string>& urls) {
  std::vector<std::string> keys;
  for (const std::string& url : urls) {
    const auto key = url_key(url);
    EXPECT_TRUE(key.has_value()) << url << ": " << key.error().message;
    keys.push_back(key.value_or(""));
  }
  return keys;
}

TEST(UrlKey, SpellingsOfOneResourceShareOneKey) {
  const std::vector<std::vector<std::string>> resources = {
      {"http://example.com/~a/b", "HTTP://EXAMPLE.COM:80/%7Ea/./b",
       "http://example.com/%7ea/c/../b#top", "http://Example.com/x/../%7E%61/b",
       "http://example.com:/~a/b#"},
      {"https://h/", "https://h", "https://H:443/", "https://h/#x", "https://h/.",
       "https://h/a/.."},
      {"http://h/a%2Fb?x=%2f", "http://h/a%2fb?x=%2F", "http://H/a/../a%2fb?x=%2f"},
  };
  for (const auto& spellings : resources) {
    const std::vector<std::string> keys = urlkey_keys_of(spellings);
    EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 1U) << spellings.front();
  }
}

TEST(UrlKey, DifferentResourcesHaveDifferentKeys) {
  const std::vector<std::string> urls = {
      "http://h/a",       "http://h/A",         "http://h/a/",        "https://h/a",
      "http://h:8080/a",  "http://h/a?x=1&y=2", "http://h/a?y=2&x=1", "http://h/a?X=1",
      "http://h/a?x=1",   "http://h/%2Fa",      "http://h//a",        "http://h/a%20",
      "http://alice@h/a", "http://bob@h/a",     "http://bob:pw@h/a",  "http://g/a",
      "http://[::1]/a",   "http://[::2]/a",     "http://h/a;x",       "http://h./a",
  };
  const std::vector<std::string> keys = urlkey_keys_of(urls);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), urls.size());
}

TEST(UrlKey, KeyIsItsOwnKey) {
  for (const char* url : {"HTTP://Example.COM:80/a/./b/../c?Q=%7e#frag", "https://u:p@H/%2f",
                          "http://[fe80::1%25eth0]:8080/x/%2E%2E/y"}) {
    const auto key = url_key(url);
    ASSERT_TRUE(key.has_value()) << url << ": " << key.error().message;
    EXPECT_EQ(url_key(*key).value_or(""), *key) << url;
  }
}

struct UrlKeyRefusal {
  std::string url;
  std::string cause;
};

void PrintTo(const UrlKeyRefusal& c, std::ostream* os) { *os << ::testing::PrintToString(c.url); }

class UrlKeyRejects : public ::testing::TestWithParam<UrlKeyRefusal> {};

TEST_P(UrlKeyRejects, NamesTheUrlAndTheCause) {
  const auto key = url_key(GetParam().url);
  ASSERT_FALSE(key.has_value()) << GetParam().url << " got key " << *key;
  const std::string& message = key.error().message;
  EXPECT_TRUE(message.starts_with(GetParam().url + ": ")) << message;
  EXPECT_NE(message.find(GetParam().cause), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    UrlKey, UrlKeyRejects,
    ::testing::Values(
        UrlKeyRefusal{"ftp://x/", "unsupported scheme 'ftp'"},
        UrlKeyRefusal{"mailto:x", "unsupported scheme 'mailto'"},
        UrlKeyRefusal{"file:///etc/passwd", "file://"},
        UrlKeyRefusal{"/relative", "missing scheme"},
        UrlKeyRefusal{"../a/b.html", "missing scheme"}, UrlKeyRefusal{"//h/a", "missing scheme"},
        UrlKeyRefusal{"garbage", "missing scheme"}, UrlKeyRefusal{"", "missing scheme"},
        UrlKeyRefusal{"http:/x", "no host"}, UrlKeyRefusal{"http://", "No host part"},
        UrlKeyRefusal{"http://h/a b", "space"}, UrlKeyRefusal{"http://h/\xc3\xa9", "non-ASCII"},
        UrlKeyRefusal{"http://h:99999/", "not a valid URL"},
        UrlKeyRefusal{"http://ex%2fmple.com/", "not a valid URL"},
        UrlKeyRefusal{"http://[::1/", "not a valid URL"}));

TEST(UrlKey, ErrorMasksThePasswordAndCutsALongUrl) {
  const auto with_password = url_key("ftp://user:secret@h/");
  ASSERT_FALSE(with_password.has_value());
  EXPECT_EQ(with_password.error().message.find("secret"), std::string::npos)
      << with_password.error().message;
  EXPECT_NE(with_password.error().message.find("ftp://user:"), std::string::npos);

  const std::string long_url = "ftp://h/" + std::string(5000, 'a');
  const auto long_one = url_key(long_url);
  ASSERT_FALSE(long_one.has_value());
  EXPECT_LT(long_one.error().message.size(), 400U);
  EXPECT_NE(long_one.error().message.find("(5008 bytes)"), std::string::npos);
  EXPECT_NE(long_one.error().message.find("unsupported scheme"), std::string::npos);
}

TEST(UrlKey, LongUrlGetsAKeySoTheTrapLimitCanSayWhy) {
  const auto key = url_key("http://h/?" + std::string(5000, 'q'));
  ASSERT_TRUE(key.has_value()) << key.error().message;
  EXPECT_EQ(trap_reason(*key), "url length");
}

// What libcurl's URL API does without help: the key relies on the first four and does the rest.
std::string urlkey_curl_round_trip(const std::string& url, unsigned int flags) {
  const CurlUrl handle(curl_url());
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return "";
  char* text = nullptr;
  const CURLUcode rc = curl_url_get(handle.get(), CURLUPART_URL, &text, flags);
  const CurlString owned(text);
  return rc == CURLUE_OK ? std::string(text) : "";
}

TEST(UrlKeyLibcurl, LowerCasesTheSchemeButNotTheHost) {
  EXPECT_EQ(urlkey_curl_round_trip("HTTP://Example.COM/", 0), "http://Example.COM/");
}

TEST(UrlKeyLibcurl, RemovesLiteralDotSegmentsButNotEncodedOnes) {
  EXPECT_EQ(urlkey_curl_round_trip("http://h/a/./b/../c", 0), "http://h/a/c");
  EXPECT_EQ(urlkey_curl_round_trip("http://h/a/b/..", 0), "http://h/a/");
  EXPECT_EQ(urlkey_curl_round_trip("http://h/a/%2E%2E/b", 0), "http://h/a/%2E%2E/b");
}

TEST(UrlKeyLibcurl, DropsTheDefaultPortOnlyWhenAsked) {
  EXPECT_EQ(urlkey_curl_round_trip("http://h:80/", 0), "http://h:80/");
  EXPECT_EQ(urlkey_curl_round_trip("http://h:80/", CURLU_NO_DEFAULT_PORT), "http://h/");
  EXPECT_EQ(urlkey_curl_round_trip("https://h:443/", CURLU_NO_DEFAULT_PORT), "https://h/");
  EXPECT_EQ(urlkey_curl_round_trip("https://h:80/", CURLU_NO_DEFAULT_PORT), "https://h:80/");
}

TEST(UrlKeyLibcurl, WritesAnEmptyPathAsSlashAndDropsAnEmptyQuery) {
  EXPECT_EQ(urlkey_curl_round_trip("http://h", 0), "http://h/");
  EXPECT_EQ(urlkey_curl_round_trip("http://h/?", 0), "http://h/");
}

TEST(UrlKeyLibcurl, LeavesPercentEncodingsAndTheFragmentAsWritten) {
  EXPECT_EQ(urlkey_curl_round_trip("http://h/%7e%2f?x=%7e#f", 0), "http://h/%7e%2f?x=%7e#f");
}

// A key whose query pads it to exactly `bytes` bytes (the query has no path segments).
std::string urlkey_padded_to(std::size_t bytes) {
  const std::string prefix = "http://h/?";
  return prefix + std::string(bytes - prefix.size(), 'q');
}

// "http://h/s1/s2/.../sN": N distinct segments.
std::string urlkey_with_segments(std::size_t count) {
  std::string key = "http://h";
  for (std::size_t i = 1; i <= count; ++i) key += "/s" + std::to_string(i);
  return key;
}

TEST(UrlKeyTrap, UrlLengthAtAndAroundTheLimit) {
  ASSERT_EQ(kMaxKeyBytes, 2083U);
  EXPECT_EQ(trap_reason(urlkey_padded_to(2082)), std::nullopt);
  EXPECT_EQ(trap_reason(urlkey_padded_to(2083)), std::nullopt);
  EXPECT_EQ(trap_reason(urlkey_padded_to(2084)), "url length");
}

TEST(UrlKeyTrap, PathSegmentsAtAndAroundTheLimit) {
  ASSERT_EQ(kMaxPathSegments, 20U);
  EXPECT_EQ(trap_reason(urlkey_with_segments(19)), std::nullopt);
  EXPECT_EQ(trap_reason(urlkey_with_segments(20)), std::nullopt);
  EXPECT_EQ(trap_reason(urlkey_with_segments(21)), "path segments");
  // A trailing '/' opens one more (empty) segment.
  EXPECT_EQ(trap_reason(urlkey_with_segments(20) + "/"), "path segments");
  EXPECT_EQ(trap_reason(urlkey_with_segments(19) + "/"), std::nullopt);
}

TEST(UrlKeyTrap, SlashesInTheQueryAreNotSegments) {
  EXPECT_EQ(trap_reason(urlkey_with_segments(20) + "?a/b/c/d/e/f"), std::nullopt);
  EXPECT_EQ(trap_reason("http://h/?x/x/x/x/x"), std::nullopt);
}

TEST(UrlKeyTrap, RepeatedSegmentAtAndAroundTheLimit) {
  ASSERT_EQ(kMaxSegmentRepeats, 3U);
  EXPECT_EQ(trap_reason("http://h/a/b/a/b/a/b"), std::nullopt);
  EXPECT_EQ(trap_reason("http://h/a/b/a/b/a/b/a/b"), "repeated segment");
  EXPECT_EQ(trap_reason("http://h/x/x/x"), std::nullopt);
  EXPECT_EQ(trap_reason("http://h/x/x/x/x"), "repeated segment");
  // Anywhere in the path, not only one after another.
  EXPECT_EQ(trap_reason("http://h/a/1/a/2/a/3/a"), "repeated segment");
  EXPECT_EQ(trap_reason("http://h/a/1/a/2/a/3/b"), std::nullopt);
  // Empty segments are segments too.
  EXPECT_EQ(trap_reason("http://h///"), std::nullopt);
  EXPECT_EQ(trap_reason("http://h////"), "repeated segment");
  // Segments compare by their whole text.
  EXPECT_EQ(trap_reason("http://h/a/aa/a/aa/a/aa"), std::nullopt);
}

TEST(UrlKeyTrap, OrdinaryKeysAreNotTraps) {
  EXPECT_EQ(trap_reason("http://h/"), std::nullopt);
  EXPECT_EQ(trap_reason("https://example.com/docs/2024/05/index.html?page=2"), std::nullopt);
}

TEST(UrlKeyTrap, LengthIsCheckedBeforeSegments) {
  std::string key = urlkey_with_segments(30) + "/s1/s1/s1";
  key += "?" + std::string(kMaxKeyBytes, 'q');
  EXPECT_EQ(trap_reason(key), "url length");
  EXPECT_EQ(trap_reason(urlkey_with_segments(30) + "/s1/s1/s1"), "path segments");
}

TEST(UrlKeyTrap, DotSegmentsAreGoneBeforeSegmentsAreCounted) {
  const auto key = url_key("http://h/a/./a/./a/./a/b/../c");
  ASSERT_TRUE(key.has_value()) << key.error().message;
  EXPECT_EQ(*key, "http://h/a/a/a/a/c");
  EXPECT_EQ(trap_reason(*key), "repeated segment");
}

}  // namespace
}  // namespace dupipe::crawl
