// The duplicate report: grouping by (size, digest), ordering, summary arithmetic, and the JSON
// and text renderings (the JSON shape is a contract with other programs).
#include "aggregator/report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace dupipe::aggregator {
namespace {

using Json = nlohmann::json;

DigestRecord hashed(const std::string& id, std::uint64_t size, const std::string& digest,
                    const std::string& algorithm = "sha256") {
  return DigestRecord{id, "http://h/" + id, "/files/" + id, size, algorithm, digest};
}

Report build(const std::vector<DigestRecord>& digests,
             const std::vector<FailureRecord>& failures = {}) {
  ReportBuilder builder("sha256");
  for (const DigestRecord& digest : digests) EXPECT_TRUE(builder.add(digest).has_value());
  for (const FailureRecord& failure : failures) builder.add(failure);
  return builder.build();
}

std::vector<std::string> urls_of(const DuplicateGroup& group) {
  std::vector<std::string> urls;
  for (const ReportFile& file : group.files) urls.push_back(file.url);
  return urls;
}

TEST(Report, GroupsFilesOfEqualSizeAndDigest) {
  const Report report =
      build({hashed("a", 10, "d1"), hashed("b", 10, "d1"), hashed("c", 10, "d2")});
  ASSERT_EQ(report.groups.size(), 1U);
  EXPECT_EQ(report.groups[0].digest, "d1");
  EXPECT_EQ(report.groups[0].size, 10U);
  EXPECT_EQ(urls_of(report.groups[0]), (std::vector<std::string>{"http://h/a", "http://h/b"}));
  EXPECT_EQ(report.groups[0].files[0].path, "/files/a");
}

TEST(Report, MasksPasswordsInUrlsOfGroupsAndFailures) {
  DigestRecord with_password = hashed("b", 10, "d1");
  with_password.url = "http://user:secret@h/b";
  const Report report = build(
      {hashed("a", 10, "d1"), with_password},
      {FailureRecord{"c", "http://u:pw@h/c", Stage::kFetcher, "HTTP 401 from http://u:pw@h/c"}});
  ASSERT_EQ(report.groups.size(), 1U);
  EXPECT_EQ(urls_of(report.groups[0]),
            (std::vector<std::string>{"http://h/a", "http://user:***@h/b"}));
  ASSERT_EQ(report.failures.size(), 1U);
  EXPECT_EQ(report.failures[0].url, "http://u:***@h/c");
  EXPECT_EQ(report.failures[0].error, "HTTP 401 from http://u:***@h/c");
  EXPECT_EQ(to_json(report).find("secret"), std::string::npos);
  EXPECT_EQ(to_text(report).find("pw@"), std::string::npos);
}

TEST(Report, DoesNotGroupEqualDigestsOfDifferentSizes) {
  const Report report = build({hashed("a", 10, "d1"), hashed("b", 11, "d1")});
  EXPECT_TRUE(report.groups.empty());
  EXPECT_EQ(report.summary.duplicate_groups, 0U);
  EXPECT_EQ(report.summary.wasted_bytes, 0U);
}

TEST(Report, DoesNotGroupASingleFile) {
  const Report report = build({hashed("a", 10, "d1")});
  EXPECT_TRUE(report.groups.empty());
  EXPECT_EQ(report.summary.fetched, 1U);
}

TEST(Report, OrdersGroupsByWastedBytesThenDigest) {
  const Report report = build({
      hashed("s1", 5, "small"), hashed("s2", 5, "small"),  // wastes 5
      hashed("z1", 100, "zz"), hashed("z2", 100, "zz"),    // wastes 100
      hashed("a1", 100, "aa"), hashed("a2", 100, "aa"),    // wastes 100
      hashed("t1", 40, "three"), hashed("t2", 40, "three"), hashed("t3", 40, "three"),  // 80
  });
  std::vector<std::string> digests;
  for (const DuplicateGroup& group : report.groups) digests.push_back(group.digest);
  EXPECT_EQ(digests, (std::vector<std::string>{"aa", "zz", "three", "small"}));
  EXPECT_EQ(report.groups[2].wasted_bytes(), 80U);
}

TEST(Report, OrdersFilesByUrl) {
  ReportBuilder builder("sha256");
  for (const char* url : {"http://h/c", "http://h/a", "http://h/b"}) {
    ASSERT_TRUE(
        builder.add(DigestRecord{url, url, std::string("/p") + url, 3, "sha256", "d"}).has_value());
  }
  const Report report = builder.build();
  ASSERT_EQ(report.groups.size(), 1U);
  EXPECT_EQ(urls_of(report.groups[0]),
            (std::vector<std::string>{"http://h/a", "http://h/b", "http://h/c"}));
}

TEST(Report, SummarisesEveryUrlsFate) {
  const Report report =
      build({hashed("a", 10, "d1"), hashed("b", 10, "d1"), hashed("c", 10, "d1"),
             hashed("d", 7, "d2"), hashed("e", 7, "d2"), hashed("f", 1, "d3")},
            {FailureRecord{"p1", "bad1", Stage::kProducer, "line 1: x"},
             FailureRecord{"p2", "bad2", Stage::kProducer, "line 2: repeat of line 1"},
             FailureRecord{"f1", "http://h/404", Stage::kFetcher, "HTTP 404"},
             FailureRecord{"h1", "http://h/gone", Stage::kHasher, "/files/h1: gone"}});
  const Summary& s = report.summary;
  EXPECT_EQ(s.fetched, 6U);
  EXPECT_EQ(s.rejected, 2U);
  EXPECT_EQ(s.failed, 2U);
  EXPECT_EQ(s.urls, s.fetched + s.failed + s.rejected);
  EXPECT_EQ(s.urls, 10U);
  EXPECT_EQ(s.duplicate_groups, 2U);
  EXPECT_EQ(s.duplicate_files, 3U);  // 2 redundant copies of d1, 1 of d2
  EXPECT_EQ(s.wasted_bytes, 27U);    // 2 * 10 + 1 * 7
  EXPECT_EQ(report.failures.size(), 4U);
}

TEST(Report, CountsARepeatedDigestRecordOnce) {
  const Report report =
      build({hashed("a", 10, "d1"), hashed("a", 10, "d1"), hashed("b", 10, "d2")});
  EXPECT_EQ(report.summary.fetched, 2U);
  EXPECT_TRUE(report.groups.empty()) << "a duplicate delivery is not a duplicate file";
}

TEST(Report, RejectsMixedAlgorithms) {
  ReportBuilder builder("sha256");
  ASSERT_TRUE(builder.add(hashed("a", 1, "d", "md5")).has_value());
  const auto mixed = builder.add(hashed("b", 1, "d", "sha256"));
  ASSERT_FALSE(mixed.has_value());
  EXPECT_NE(mixed.error().message.find("md5"), std::string::npos) << mixed.error().message;
  EXPECT_EQ(builder.build().algorithm, "md5");
  EXPECT_EQ(builder.build().summary.fetched, 1U);
}

TEST(Report, NamesTheDefaultAlgorithmWhenNoDigestArrived) {
  ReportBuilder builder("sha1");
  builder.add(FailureRecord{"i", "u", Stage::kFetcher, "e"});
  EXPECT_EQ(builder.build().algorithm, "sha1");
}

TEST(Report, OrdersFailuresByStageThenUrl) {
  const Report report = build({}, {FailureRecord{"1", "b", Stage::kHasher, "e"},
                                   FailureRecord{"2", "z", Stage::kProducer, "e"},
                                   FailureRecord{"3", "a", Stage::kHasher, "e"},
                                   FailureRecord{"4", "m", Stage::kFetcher, "e"}});
  std::vector<std::string> ids;
  for (const FailureRecord& failure : report.failures) ids.push_back(failure.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"2", "4", "3", "1"}));
}

std::set<std::string> keys_of(const Json& object) {
  std::set<std::string> keys;
  for (const auto& item : object.items()) keys.insert(item.key());
  return keys;
}

TEST(Report, RendersJsonWithExactlyTheContractKeys) {
  const Report report = build({hashed("a", 10, "d1"), hashed("b", 10, "d1")},
                              {FailureRecord{"f", "http://h/f", Stage::kFetcher, "HTTP 500"}});
  const Json json = Json::parse(to_json(report));
  EXPECT_EQ(keys_of(json), (std::set<std::string>{"version", "complete", "algorithm", "summary",
                                                  "groups", "failures"}));
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["algorithm"], "sha256");
  EXPECT_EQ(keys_of(json["summary"]),
            (std::set<std::string>{"urls", "fetched", "failed", "rejected", "duplicate_groups",
                                   "duplicate_files", "wasted_bytes"}));
  EXPECT_EQ(json["summary"]["urls"], 3);
  EXPECT_EQ(json["summary"]["fetched"], 2);
  EXPECT_EQ(json["summary"]["failed"], 1);
  EXPECT_EQ(json["summary"]["rejected"], 0);
  EXPECT_EQ(json["summary"]["duplicate_groups"], 1);
  EXPECT_EQ(json["summary"]["duplicate_files"], 1);
  EXPECT_EQ(json["summary"]["wasted_bytes"], 10);
  ASSERT_TRUE(json["groups"].is_array());
  ASSERT_EQ(json["groups"].size(), 1U);
  const Json& group = json["groups"][0];
  EXPECT_EQ(keys_of(group), (std::set<std::string>{"digest", "size", "files"}));
  EXPECT_EQ(group["digest"], "d1");
  EXPECT_EQ(group["size"], 10);
  ASSERT_EQ(group["files"].size(), 2U);
  EXPECT_EQ(keys_of(group["files"][0]), (std::set<std::string>{"url", "path"}));
  EXPECT_EQ(group["files"][0]["url"], "http://h/a");
  EXPECT_EQ(group["files"][0]["path"], "/files/a");
  ASSERT_TRUE(json["failures"].is_array());
  ASSERT_EQ(json["failures"].size(), 1U);
  EXPECT_EQ(keys_of(json["failures"][0]), (std::set<std::string>{"url", "stage", "error"}));
  EXPECT_EQ(json["failures"][0]["url"], "http://h/f");
  EXPECT_EQ(json["failures"][0]["stage"], "fetcher");
  EXPECT_EQ(json["failures"][0]["error"], "HTTP 500");
}

TEST(Report, RendersAnEmptyReportAsValidJson) {
  const Json json = Json::parse(to_json(build({})));
  EXPECT_TRUE(json["groups"].is_array());
  EXPECT_TRUE(json["groups"].empty());
  EXPECT_TRUE(json["failures"].is_array());
  EXPECT_EQ(json["summary"]["urls"], 0);
}

TEST(Report, RendersInvalidUtf8InAFailureWithoutThrowing) {
  const Report report = build({}, {FailureRecord{"i", "http://h/\xff\xfe\xc3", Stage::kProducer,
                                                 "line 1: contains non-ASCII byte 0xff \x80"}});
  std::string text;
  ASSERT_NO_THROW(text = to_json(report));
  const Json json = Json::parse(text);
  EXPECT_TRUE(json["failures"][0]["url"].get<std::string>().starts_with("http://h/"));
  EXPECT_NE(json["failures"][0]["url"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos)
      << "invalid bytes become U+FFFD";
}

TEST(Report, RendersANonUtf8PathWithoutThrowing) {
  ReportBuilder builder("sha256");
  for (const char* path : {"/files/\xff-a", "/files/\xc3-b"}) {
    ASSERT_TRUE(builder.add(DigestRecord{path, "http://h/", path, 1, "sha256", "d"}).has_value());
  }
  std::string text;
  ASSERT_NO_THROW(text = to_json(builder.build()));
  EXPECT_EQ(Json::parse(text)["groups"][0]["files"].size(), 2U);
}

TEST(Report, RendersTextNamingEveryGroupPathAndFailure) {
  const Report report = build({hashed("a", 10, "d1"), hashed("b", 10, "d1"), hashed("c", 3, "d2"),
                               hashed("d", 3, "d2"), hashed("e", 3, "d9")},
                              {FailureRecord{"f", "http://h/f", Stage::kFetcher, "HTTP 500"},
                               FailureRecord{"g", "bad line", Stage::kProducer, "line 9: space"}});
  const std::string text = to_text(report);
  for (const char* path : {"/files/a", "/files/b", "/files/c", "/files/d"}) {
    EXPECT_NE(text.find(path), std::string::npos) << path << "\n" << text;
  }
  EXPECT_EQ(text.find("/files/e"), std::string::npos) << "a unique file is not listed";
  EXPECT_NE(text.find("[fetcher] http://h/f: HTTP 500"), std::string::npos) << text;
  EXPECT_NE(text.find("[producer] bad line: line 9: space"), std::string::npos) << text;
  EXPECT_NE(text.find("Group 2:"), std::string::npos) << text;
  EXPECT_NE(text.find("7 URLs"), std::string::npos) << text;
}

}  // namespace
}  // namespace dupipe::aggregator
