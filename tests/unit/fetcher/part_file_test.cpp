// PartFile's creation of files in OUT/files: names planted by someone else (a symbolic link, a
// FIFO, a hard link, a symlinked files directory) are refused and never written through; the
// commit replaces a planted final name instead of following it.
#include "fetcher/part_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/unit/test_support.hpp"

namespace dupipe::fetcher {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

class PartFileCreation : public ::testing::Test {
 protected:
  PartFileCreation() {
    std::filesystem::create_directory(files_);
    write_file(victim_, "precious");
  }

  void expect_refused(const std::string& fragment) {
    const auto part = PartFile::open(files_, "id", false, 1);
    ASSERT_FALSE(part.has_value()) << "opened " << part->path();
    EXPECT_NE(part.error().message.find(fragment), std::string::npos) << part.error().message;
    EXPECT_EQ(read_file(victim_), "precious");
  }

  TempDir dir_;
  std::string files_ = dir_.file("files");
  std::string victim_ = dir_.file("victim");
};

TEST_F(PartFileCreation, WritesAndCommitsAnOrdinaryDownload) {
  auto part = PartFile::open(files_, "id", false, 1);
  ASSERT_TRUE(part.has_value()) << part.error().message;
  ASSERT_TRUE(part->write_at(0, "body"));
  ASSERT_TRUE(part->commit_as(files_ + "/id-a.txt"));
  EXPECT_EQ(read_file(files_ + "/id-a.txt"), "body");
}

TEST_F(PartFileCreation, RefusesAPlantedSymbolicLinkAsTheTemporaryName) {
  std::filesystem::create_symlink(victim_, files_ + "/.part-id");
  expect_refused("cannot create temporary file");
}

TEST_F(PartFileCreation, RefusesAPlantedFifo) {
  ASSERT_EQ(::mkfifo((files_ + "/.part-id").c_str(), 0600), 0);
  expect_refused("is not a regular file");
}

TEST_F(PartFileCreation, RefusesAPlantedHardLink) {
  ASSERT_EQ(::link(victim_.c_str(), (files_ + "/.part-id").c_str()), 0);
  expect_refused("has other hard links");
}

TEST_F(PartFileCreation, RefusesASymbolicallyLinkedFilesDirectory) {
  const std::string elsewhere = dir_.file("elsewhere");
  std::filesystem::create_directory(elsewhere);
  std::filesystem::remove(files_);
  std::filesystem::create_directory_symlink(elsewhere, files_);
  expect_refused("is a symbolic link; refusing to write through it");
  EXPECT_TRUE(std::filesystem::is_empty(elsewhere));
}

TEST_F(PartFileCreation, CommitReplacesAPlantedFinalSymbolicLinkInsteadOfFollowingIt) {
  std::filesystem::create_symlink(victim_, files_ + "/id-a.txt");
  auto part = PartFile::open(files_, "id", false, 1);
  ASSERT_TRUE(part.has_value()) << part.error().message;
  ASSERT_TRUE(part->write_at(0, "body"));
  ASSERT_TRUE(part->commit_as(files_ + "/id-a.txt"));
  EXPECT_FALSE(std::filesystem::is_symlink(files_ + "/id-a.txt"));
  EXPECT_EQ(read_file(files_ + "/id-a.txt"), "body");
  EXPECT_EQ(read_file(victim_), "precious");
}

}  // namespace
}  // namespace dupipe::fetcher
