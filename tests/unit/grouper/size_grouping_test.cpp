// The grouping core: unique sizes never go on, one name per (device, inode) with the others as
// L records, repeated names dropped, empty files only on request, partial digests filter again,
// and the output does not depend on the input order.
#include "grouper/size_grouping.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace dupipe::grouper {
namespace {

LocalFileRecord file(const std::string& path, std::uint64_t size, std::uint64_t inode,
                     std::string partial = "") {
  return LocalFileRecord{"id-" + path, path, size, 1, inode, 7, std::move(partial)};
}

std::vector<std::string> paths(const std::vector<LocalFileRecord>& files) {
  std::vector<std::string> result;
  for (const auto& f : files) result.push_back(f.path);
  return result;
}

TEST(SizeGrouping, DropsFilesWhoseSizeIsUnique) {
  const auto g = group_by_size({file("/a", 10, 1), file("/b", 10, 2), file("/c", 11, 3)}, {});
  EXPECT_EQ(paths(g.candidates), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(g.unique_size, 1u);
  EXPECT_EQ(g.files, 3u);
}

TEST(SizeGrouping, KeepsOneNamePerInodeAndReportsTheOthersAsLinks) {
  const auto g = group_by_size({file("/z", 10, 1), file("/a", 10, 1), file("/m", 10, 1), file("/q", 10, 2)}, {});
  EXPECT_EQ(paths(g.candidates), (std::vector<std::string>{"/a", "/q"}));
  ASSERT_EQ(g.links.size(), 2u);
  EXPECT_EQ(g.links[0].path, "/m");
  EXPECT_EQ(g.links[0].target, "/a");
  EXPECT_EQ(g.links[1].path, "/z");
  EXPECT_EQ(g.links[1].size, 10u);
}

TEST(SizeGrouping, HardLinksAloneAreNotCandidatesButStillLinks) {
  const auto g = group_by_size({file("/a", 10, 1), file("/b", 10, 1)}, {});
  EXPECT_TRUE(g.candidates.empty());
  EXPECT_EQ(g.unique_size, 1u);
  ASSERT_EQ(g.links.size(), 1u);
  EXPECT_EQ(g.links[0].target, "/a");
}

TEST(SizeGrouping, DropsARepeatedNameSoNoFileIsItsOwnDuplicate) {
  const auto g = group_by_size({file("/a", 10, 1), file("/a", 10, 1), file("/b", 10, 2)}, {});
  EXPECT_EQ(paths(g.candidates), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(g.repeated_names, 1u);
  EXPECT_TRUE(g.links.empty());
}

TEST(SizeGrouping, GroupsEmptyFilesOnlyWhenAsked) {
  const std::vector<LocalFileRecord> files{file("/e1", 0, 1), file("/e2", 0, 2)};
  const auto without = group_by_size(files, {});
  EXPECT_TRUE(without.candidates.empty());
  EXPECT_EQ(without.empty, 2u);
  const auto with = group_by_size(files, SizeOptions{true});
  EXPECT_EQ(paths(with.candidates), (std::vector<std::string>{"/e1", "/e2"}));
}

TEST(SizeGrouping, GivesTheSameResultForEveryInputOrder) {
  std::vector<LocalFileRecord> files;
  for (int i = 0; i < 40; ++i) files.push_back(file("/f" + std::to_string(i), 100 + i % 6, i % 30));
  const auto expected = group_by_size(files, {});
  std::mt19937 random(42);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(files.begin(), files.end(), random);
    const auto g = group_by_size(files, {});
    EXPECT_EQ(paths(g.candidates), paths(expected.candidates));
    ASSERT_EQ(g.links.size(), expected.links.size());
    for (std::size_t i = 0; i < g.links.size(); ++i) {
      EXPECT_EQ(g.links[i].path, expected.links[i].path);
      EXPECT_EQ(g.links[i].target, expected.links[i].target);
    }
  }
}

TEST(PartialGrouping, KeepsOnlyFilesSharingSizeAndPartialDigest) {
  const auto g = group_by_partial({file("/a", 10, 1, "p1"), file("/b", 10, 2, "p2"), file("/c", 10, 3, "p1"),
                                   file("/d", 11, 4, "p2")});
  EXPECT_EQ(paths(g.candidates), (std::vector<std::string>{"/a", "/c"}));
  EXPECT_EQ(g.unique_partial, 2u);
}

TEST(Grouping, PutsTheLargestFilesFirstSoSharedHashersFinishTogether) {
  const auto sized = group_by_size({file("/s1", 5, 1), file("/b1", 900, 2), file("/m1", 50, 3),
                                    file("/s2", 5, 4), file("/b2", 900, 5), file("/m2", 50, 6)}, {});
  EXPECT_EQ(paths(sized.candidates), (std::vector<std::string>{"/b1", "/b2", "/m1", "/m2", "/s1", "/s2"}));
  const auto partial = group_by_partial({file("/s1", 5, 1, "p"), file("/b1", 900, 2, "q"), file("/s2", 5, 4, "p"),
                                         file("/b2", 900, 5, "q")});
  EXPECT_EQ(paths(partial.candidates), (std::vector<std::string>{"/b1", "/b2", "/s1", "/s2"}));
}

}  // namespace
}  // namespace dupipe::grouper
