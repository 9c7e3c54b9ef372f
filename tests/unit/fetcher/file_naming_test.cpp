// Local names of downloaded files: whatever the URL, the id or the Content-Type hold, the name is
// a single safe path component of bounded length that keeps a useful extension.
#include "fetcher/file_naming.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>

#include "common/base/text.hpp"
#include "common/protocol/record_id.hpp"
#include "common/protocol/url_intake.hpp"

namespace dupipe::fetcher {
namespace {

using namespace std::string_view_literals;

constexpr std::size_t kMaxNameBytes = 255;  // NAME_MAX on Linux file systems

// The invariants promised by the header, checked on every name the tests build.
void expect_safe_name(const std::string& name, const std::string& context) {
  SCOPED_TRACE(context);
  EXPECT_FALSE(name.empty());
  EXPECT_LE(name.size(), kMaxNameBytes);
  EXPECT_EQ(name.find('/'), std::string::npos) << name;
  EXPECT_NE(name.front(), '.') << name;
  EXPECT_NE(name, ".");
  EXPECT_NE(name, "..");
  const std::string_view allowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
  EXPECT_EQ(name.find_first_not_of(allowed), std::string::npos) << name;
}

std::string name_for(const std::string& url, std::string_view content_type = "") {
  const std::string name = build_file_name(make_record_id(url), url, content_type);
  expect_safe_name(name, url);
  return name;
}

struct NamingCase {
  std::string url;
  std::string content_type;
  std::string suffix;  // the name is "<id><suffix>"
};

// Readable parameter values in test names and failure messages.
void PrintTo(const NamingCase& c, std::ostream* os) {
  *os << ::testing::PrintToString(c.url + " " + c.content_type);
}

class FileNamingBuilds : public ::testing::TestWithParam<NamingCase> {};

TEST_P(FileNamingBuilds, IdThenSanitisedSegmentThenExtension) {
  const NamingCase& c = GetParam();
  EXPECT_EQ(name_for(c.url, c.content_type), make_record_id(c.url) + c.suffix);
}

INSTANTIATE_TEST_SUITE_P(
    FileNaming, FileNamingBuilds,
    ::testing::Values(
        NamingCase{"http://h/photo.jpeg", "image/png", "-photo.jpeg"},  // URL extension preferred
        NamingCase{"http://h/photo", "image/png", "-photo.png"},
        NamingCase{"http://h/photo", "image/PNG; charset=binary", "-photo.png"},
        NamingCase{"http://h/photo", "IMAGE/JPEG", "-photo.jpg"},
        NamingCase{"http://h/page", "text/html ; charset=utf-8", "-page.html"},
        NamingCase{"http://h/photo", "application/x-unknown", "-photo"},
        NamingCase{"http://h/photo", "", "-photo"},
        NamingCase{"http://h/", "image/gif", ".gif"},  // empty last segment
        NamingCase{"http://h", "image/gif", ".gif"}, NamingCase{"http://h/", "", ""},
        NamingCase{"http://h/a/b/", "text/plain", ".txt"},
        NamingCase{"http://h/a.png?x=1/y.gif#frag", "", "-a.png"},  // query and fragment ignored
        NamingCase{"http://h/a?name=evil.exe", "image/png", "-a.png"},
        NamingCase{"http://h/a#../../x", "", "-a"}, NamingCase{"http://h/..", "image/png", ".png"},
        NamingCase{"http://h/.", "", ""}, NamingCase{"http://h/...", "", ""},
        NamingCase{"http://h/.hidden", "", "-hidden"},
        NamingCase{"http://h/...bashrc.txt", "", "-bashrc.txt"},
        NamingCase{"http://h/a%2Fb.png", "", "-a_b.png"},  // an encoded slash is not a separator
        NamingCase{"http://h/a%2f..%2f..%2fetc", "", "-a_.._.._etc"},
        NamingCase{"http://h/%2E%2E", "image/png", ".png"},
        NamingCase{"http://h/a%00b.txt", "", "-a_b.txt"},  // NUL
        NamingCase{"http://h/a%0Ab%0D.txt", "", "-a_b_.txt"},
        NamingCase{"http://h/caf%C3%A9.png", "", "-caf__.png"},
        NamingCase{"http://h/a%zzb", "", "-a_zzb"},  // malformed escape kept literally
        NamingCase{"http://h/x y;z:w", "", "-x_y_z_w"}));

TEST(FileNaming, PercentDecodesWellFormedEscapesOnly) {
  EXPECT_EQ(percent_decode("%41b%2F"), "Ab/");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("%%41"), "%A");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
}

TEST(FileNaming, TakesTheLastPathSegment) {
  EXPECT_EQ(last_path_segment("http://h/a/b/c.png"), "c.png");
  EXPECT_EQ(last_path_segment("http://h/"), "");
  EXPECT_EQ(last_path_segment("http://h"), "");
  EXPECT_EQ(last_path_segment("http://h?x=/y"), "");
  EXPECT_EQ(last_path_segment("http://h/a%2Fb"), "a/b");
}

TEST(FileNaming, KeepsTheCaseOfTheSegmentSoNamesDifferingInCaseStayDistinct) {
  const std::string upper = name_for("http://h/File.PNG");
  const std::string lower = name_for("http://h/file.png");
  EXPECT_NE(upper, lower);
  EXPECT_TRUE(upper.ends_with("-File.PNG")) << upper;
  EXPECT_TRUE(lower.ends_with("-file.png")) << lower;
  // Even with one id the segments differ.
  EXPECT_NE(build_file_name("id", "http://h/File.PNG", ""),
            build_file_name("id", "http://h/file.png", ""));
}

TEST(FileNaming, TruncatesAThousandCharacterSegmentAndKeepsItsExtension) {
  const std::string url = "http://h/" + std::string(1000, 'a') + ".tar";
  const std::string name = name_for(url, "application/zip");
  EXPECT_LE(name.size(), kMaxNameBytes);
  EXPECT_TRUE(name.ends_with("a.tar")) << name;
  EXPECT_TRUE(name.starts_with(make_record_id(url) + "-aaaa")) << name;
}

TEST(FileNaming, TruncatesAThousandCharacterSegmentWithoutExtension) {
  const std::string url = "http://h/" + std::string(1000, 'b');
  const std::string name = name_for(url, "image/png");
  EXPECT_LE(name.size(), kMaxNameBytes);
  EXPECT_TRUE(name.ends_with("b.png")) << name;
}

TEST(FileNaming, SanitisesASegment) {
  EXPECT_EQ(sanitize_segment("../../etc/passwd"), "_.._etc_passwd");
  EXPECT_EQ(sanitize_segment(".."), "");
  EXPECT_EQ(sanitize_segment("..."), "");
  EXPECT_EQ(sanitize_segment(".a"), "a");
  EXPECT_EQ(sanitize_segment("a.b-c_D9"), "a.b-c_D9");
  EXPECT_EQ(sanitize_segment(std::string(1000, 'x')).size(), kMaxSegmentBytes);
}

class FileNamingHostileIds : public ::testing::TestWithParam<std::string> {};

TEST_P(FileNamingHostileIds, AreSanitised) {
  const std::string name = build_file_name(GetParam(), "http://h/a.png", "");
  expect_safe_name(name, GetParam());
  EXPECT_TRUE(name.ends_with("-a.png")) << name;
}

INSTANTIATE_TEST_SUITE_P(FileNaming, FileNamingHostileIds,
                         ::testing::Values("../../etc", "/etc/passwd", "..", ".", "", "...",
                                           std::string(1, '\0'), "a/b", std::string(100, 'i'),
                                           std::string(100, '.') + "x", "\xff\xfe"));

TEST(FileNaming, UsesFileWhenTheIdSanitisesToNothing) {
  EXPECT_EQ(build_file_name("..", "http://h/a.png", ""), "file-a.png");
  EXPECT_EQ(build_file_name("", "http://h/", "image/png"), "file.png");
}

TEST(FileNaming, MapsContentTypesToExtensions) {
  EXPECT_EQ(extension_for_content_type("image/png; charset=x"), ".png");
  EXPECT_EQ(extension_for_content_type("Application/PDF"), ".pdf");
  EXPECT_EQ(extension_for_content_type("image/svg+xml"), ".svg");
  EXPECT_EQ(extension_for_content_type("application/octet-stream"), "");
  EXPECT_EQ(extension_for_content_type(""), "");
  EXPECT_EQ(extension_for_content_type("/../"), "");
}

// Random bytes, biased towards the characters that matter for paths.
std::string random_text(std::mt19937& rng, std::size_t max_length) {
  static constexpr std::string_view kInteresting = "./%2F%2E\\?#\0aZ9-_"sv;  // NUL included
  std::uniform_int_distribution<std::size_t> length(0, max_length);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> pick(0, kInteresting.size() - 1);
  std::string text;
  for (std::size_t n = length(rng); n > 0; --n) {
    text += byte(rng) < 128 ? kInteresting[pick(rng)] : static_cast<char>(byte(rng));
  }
  return text;
}

TEST(FileNaming, NeverProducesAnUnsafeNameForRandomInput) {
  std::mt19937 rng(20240601);  // fixed seed: a failure is reproducible
  static constexpr std::string_view kTypes[] = {"", "image/png", "TEXT/HTML; q=1", "x/y"};
  for (int i = 0; i < 2000; ++i) {
    const std::string url = "http://h/" + random_text(rng, 1200);
    const std::string id = i % 2 == 0 ? make_record_id(url) : random_text(rng, 64);
    const std::string name = build_file_name(id, url, kTypes[static_cast<std::size_t>(i) % 4]);
    expect_safe_name(name, "case " + std::to_string(i));
    if (::testing::Test::HasFailure()) break;  // one reported counterexample is enough
  }
}

}  // namespace
}  // namespace dupipe::fetcher
