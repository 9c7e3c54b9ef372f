// The real Downloader over file:// URLs (local, no network): the body lands under its final name
// in the files directory, and no hidden ".part-" file survives a success or a failure.
#include "fetcher/downloader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/protocol/record_id.hpp"
#include "common/protocol/url_intake.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::fetcher {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

DownloadOptions local_options(const TempDir& files) {
  DownloadOptions options;
  options.files_dir = files.path().string();
  options.allow_file = true;
  return options;
}

UrlRecord local_url(const std::string& path) {
  const std::string url = "file://" + path;
  return UrlRecord{make_record_id(url), url};
}

TEST(Downloader, FetchesAFileUrlUnderItsBuiltName) {
  const TempDir source;
  const TempDir files;
  write_file(source.file("photo.png"), "not really a png");
  Downloader downloader(local_options(files));
  const UrlRecord record = local_url(source.file("photo.png"));
  const auto file = downloader.fetch(record);
  ASSERT_TRUE(file.has_value()) << file.error().message;
  EXPECT_EQ(file->path, files.file(record.id + "-photo.png"));
  EXPECT_EQ(file->size, 16U);
  EXPECT_EQ(read_file(file->path), "not really a png");
  EXPECT_EQ(files.entries(), std::vector<std::string>{record.id + "-photo.png"});
}

TEST(Downloader, ReusesOneHandleForSeveralTransfers) {
  const TempDir source;
  const TempDir files;
  Downloader downloader(local_options(files));
  for (int i = 0; i < 3; ++i) {
    const std::string name = std::to_string(i) + ".txt";
    write_file(source.file(name), std::string(static_cast<std::size_t>(i) * 1000, 'x'));
    const auto file = downloader.fetch(local_url(source.file(name)));
    ASSERT_TRUE(file.has_value()) << file.error().message;
    EXPECT_EQ(file->size, static_cast<std::uint64_t>(i) * 1000);
  }
  EXPECT_EQ(files.entries().size(), 3U);
}

TEST(Downloader, LeavesNothingBehindForAMissingFile) {
  const TempDir source;
  const TempDir files;
  Downloader downloader(local_options(files));
  const auto file = downloader.fetch(local_url(source.file("missing")));
  ASSERT_FALSE(file.has_value());
  EXPECT_FALSE(file.error().message.empty());
  EXPECT_TRUE(files.entries().empty());
}

TEST(Downloader, RefusesFileUrlsWithoutAllowFile) {
  const TempDir source;
  const TempDir files;
  write_file(source.file("a.txt"), "a");
  DownloadOptions options = local_options(files);
  options.allow_file = false;
  Downloader downloader(options);
  const auto file = downloader.fetch(local_url(source.file("a.txt")));
  ASSERT_FALSE(file.has_value()) << "fetched a file:// URL without allow_file";
  EXPECT_TRUE(files.entries().empty());
}

TEST(Downloader, RefusesABodyOverTheSizeLimitAndLeavesNothingBehind) {
  const TempDir source;
  const TempDir files;
  write_file(source.file("big.bin"), std::string(100000, 'b'));
  DownloadOptions options = local_options(files);
  options.max_filesize_bytes = 1000;
  Downloader downloader(options);
  const auto file = downloader.fetch(local_url(source.file("big.bin")));
  ASSERT_FALSE(file.has_value()) << "accepted " << file->size << " bytes";
  EXPECT_TRUE(files.entries().empty());
}

TEST(Downloader, ReportsAMissingFilesDirectory) {
  const TempDir source;
  const TempDir files;
  write_file(source.file("a.txt"), "a");
  DownloadOptions options = local_options(files);
  options.files_dir = files.file("absent");
  Downloader downloader(options);
  const auto file = downloader.fetch(local_url(source.file("a.txt")));
  ASSERT_FALSE(file.has_value());
  EXPECT_NE(file.error().message.find("cannot create temporary file"), std::string::npos)
      << file.error().message;
}

}  // namespace
}  // namespace dupipe::fetcher
