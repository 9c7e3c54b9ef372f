// The grouping core: unique sizes never go on, one name per (device, inode) with the others as
// L records, repeated names dropped, empty files only on request, the output does not depend on
// the input order, and whole size groups are spread over the hashers by work, most work first.
#include "grouper/size_grouping.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace dupipe::grouper {
namespace {

DirectoryFileRecord file(const std::string& path, std::uint64_t size, std::uint64_t inode) {
  return DirectoryFileRecord{"id-" + path, path, size, 1, inode, 7};
}

std::vector<std::string> paths(const std::vector<DirectoryFileRecord>& files) {
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
  const auto g = group_by_size(
      {file("/z", 10, 1), file("/a", 10, 1), file("/m", 10, 1), file("/q", 10, 2)}, {});
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
  const std::vector<DirectoryFileRecord> files{file("/e1", 0, 1), file("/e2", 0, 2)};
  const auto without = group_by_size(files, {});
  EXPECT_TRUE(without.candidates.empty());
  EXPECT_EQ(without.empty, 2u);
  const auto with = group_by_size(files, SizeOptions{true});
  EXPECT_EQ(paths(with.candidates), (std::vector<std::string>{"/e1", "/e2"}));
}

TEST(SizeGrouping, GivesTheSameResultForEveryInputOrder) {
  std::vector<DirectoryFileRecord> files;
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

TEST(Grouping, PutsTheLargestFilesFirst) {
  const auto sized = group_by_size({file("/s1", 5, 1), file("/b1", 900, 2), file("/m1", 50, 3),
                                    file("/s2", 5, 4), file("/b2", 900, 5), file("/m2", 50, 6)},
                                   {});
  EXPECT_EQ(paths(sized.candidates),
            (std::vector<std::string>{"/b1", "/b2", "/m1", "/m2", "/s1", "/s2"}));
}

std::vector<DirectoryFileRecord> group_of(std::uint64_t size, std::size_t files,
                                          std::uint64_t& inode) {
  std::vector<DirectoryFileRecord> result;
  for (std::size_t i = 0; i < files; ++i, ++inode) {
    std::string path = "/";
    path += std::to_string(inode);  // not "/" + ...: GCC 12 warns falsely (-Wrestrict) on that
    result.push_back(file(path, size, inode));
  }
  return result;
}

TEST(LinkPlan, GivesEachWholeGroupToTheLeastLoadedLinkMostWorkFirst) {
  std::uint64_t inode = 1;
  std::vector<DirectoryFileRecord> files;
  // Work with kOpenWorkBytes per file: 2 x 10 MiB, 5 x 3 MiB, 2 x 4 MiB, 3 x 1 MiB, 40 x 1 KiB.
  for (const auto& [size, count] : std::vector<std::pair<std::uint64_t, std::size_t>>{
           {10 << 20, 2}, {3 << 20, 5}, {4 << 20, 2}, {1 << 20, 3}, {1024, 40}}) {
    auto group = group_of(size, count, inode);
    files.insert(files.end(), group.begin(), group.end());
  }
  const auto candidates = group_by_size(files, {}).candidates;
  const auto plan = plan_links(candidates, 2);
  ASSERT_EQ(plan.size(), 5u);
  std::vector<std::uint64_t> sizes, links;
  for (const PlannedGroup& g : plan) {
    sizes.push_back(candidates[g.begin].size);
    links.push_back(g.link);
    EXPECT_EQ(g.work_bytes, group_work_bytes(candidates[g.begin].size, g.end - g.begin));
    for (std::size_t i = g.begin; i < g.end; ++i)
      EXPECT_EQ(candidates[i].size, candidates[g.begin].size);
  }
  // About 20, 15, 8, 3 and 1.3 MiB of work; LPT: 20 -> 0, 15 -> 1, 8 -> 1 (23), 3 -> 0 (23), 1.3 ->
  // 0.
  EXPECT_EQ(sizes, (std::vector<std::uint64_t>{10 << 20, 3 << 20, 4 << 20, 1 << 20, 1024}));
  EXPECT_EQ(links, (std::vector<std::uint64_t>{0, 1, 1, 0, 0}));
  std::size_t covered = 0;
  for (const PlannedGroup& g : plan) covered += g.end - g.begin;
  EXPECT_EQ(covered, candidates.size());
}

TEST(LinkPlan, UsesOneLinkForEverythingWhenThereIsOne) {
  std::uint64_t inode = 1;
  auto files = group_of(100, 2, inode);
  auto more = group_of(7, 3, inode);
  files.insert(files.end(), more.begin(), more.end());
  const auto plan = plan_links(group_by_size(files, {}).candidates, 1);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].link, 0u);
  EXPECT_EQ(plan[1].link, 0u);
  EXPECT_TRUE(plan_links({}, 2).empty());
}

}  // namespace
}  // namespace dupipe::grouper
