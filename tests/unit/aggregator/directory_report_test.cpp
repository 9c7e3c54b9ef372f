// The directory-mode report from records: groups of physical files, hard links not wasted,
// order-independent output, path_b64 for names that are not UTF-8, and the extra formats.
#include "aggregator/directory_report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aggregator/directory_outputs.hpp"

namespace dupipe::aggregator {
namespace {

DigestRecord digest(const std::string& path, std::uint64_t size, const std::string& hex) {
  return DigestRecord{"id" + path, "", path, size, "sha256", hex};
}

DirectoryReport sample(bool reversed = false) {
  DirectoryReportBuilder builder("sha256");
  std::vector<DigestRecord> records{digest("/b", 5, "d1"), digest("/a", 5, "d1"),
                                    digest("/c", 9, "d2"), digest("/x\xff", 9, "d2"),
                                    digest("/u", 9, "d3")};
  if (reversed) std::reverse(records.begin(), records.end());
  for (const auto& r : records) EXPECT_TRUE(builder.add(r).has_value());
  builder.add(LinkRecord{"l", "/a2", "/a", 5});
  builder.add(StatRecord{"grouper", "files", 7});
  builder.add(
      FailureRecord{"f", "/gone", Stage::kHasher, "/gone: cannot open: No such file or directory"});
  return builder.build(builder.candidate_groups(), {});
}

TEST(DirectoryReport, GroupsPhysicalFilesAndDoesNotCountHardLinksAsWaste) {
  const DirectoryReport r = sample();
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(r.groups[0].paths, (std::vector<std::string>{"/c", "/x\xff"}));  // 9 bytes wasted first
  EXPECT_EQ(r.groups[1].paths, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(r.summary.wasted_bytes, 14u);
  EXPECT_EQ(r.summary.duplicate_files, 2u);
  ASSERT_EQ(r.hardlinks.size(), 1u);
  EXPECT_EQ(r.hardlinks[0].paths, (std::vector<std::string>{"/a", "/a2"}));
  EXPECT_EQ(r.summary.files, 7u);
  EXPECT_EQ(r.summary.failed, 1u);
}

TEST(DirectoryReport, DoesNotDependOnRecordOrder) {
  EXPECT_EQ(to_json(sample()), to_json(sample(true)));
}

TEST(DirectoryReport, AddsPathB64ForNamesThatAreNotUtf8) {
  const auto json = nlohmann::json::parse(to_json(sample()));
  EXPECT_EQ(json["mode"], "dir");
  EXPECT_EQ(json["complete"], true);
  const auto& files = json["groups"][0]["files"];
  EXPECT_FALSE(files[0].contains("path_b64"));
  EXPECT_EQ(files[1]["path_b64"], "L3j/");  // base64 of "/x\xff"
  EXPECT_EQ(json["failures"][0]["path"], "/gone");
}

TEST(DirectoryReport, RejectsAMixOfAlgorithms) {
  DirectoryReportBuilder builder("sha256");
  EXPECT_TRUE(builder.add(digest("/a", 1, "x")).has_value());
  DigestRecord other = digest("/b", 1, "x");
  other.algorithm = "md5";
  EXPECT_FALSE(builder.add(other).has_value());
}

TEST(DirectoryOutputs, RendersNulFdupesAndCsv) {
  const DirectoryReport r = sample();
  EXPECT_EQ(to_nul(r), std::string("/c\0/x\xff\0\0/a\0/b\0\0", 15));
  EXPECT_EQ(to_fdupes(r), "/c\n/x\xff\n\n/a\n/b\n");
  EXPECT_EQ(to_csv(r),
            "group,size,digest,path\r\n1,9,d2,/c\r\n1,9,d2,/x\xff\r\n2,5,d1,/a\r\n2,5,d1,/b\r\n");
}

TEST(DirectoryOutputs, ActionsKeepTheFirstFileAndTreatEveryNameOfTheOthers) {
  DirectoryReport r = sample();
  r.hardlinks.push_back(HardlinkSet{5, {"/b", "/b-link"}});
  const std::string script = to_actions(r, Action::kDelete);
  EXPECT_NE(script.find("delete_copy '/a' '/b'\n"), std::string::npos) << script;
  EXPECT_NE(script.find("delete_copy '/a' '/b-link'\n"), std::string::npos);
  EXPECT_EQ(script.find("'/a2'"), std::string::npos);  // the kept file's own links stay
  EXPECT_NE(to_actions(r, Action::kLink).find("replace_with_link '/c' '/x\xff'\n"),
            std::string::npos);
}

}  // namespace
}  // namespace dupipe::aggregator
