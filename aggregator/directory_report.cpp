#include "aggregator/directory_report.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "aggregator/name_encoding.hpp"
#include "common/protocol/record_codec.hpp"

namespace dupipe::aggregator {
namespace {

using Json = nlohmann::ordered_json;

// `key` holds the name as UTF-8 when it is; otherwise U+FFFD replacements (for reading) and
// `key`_b64 the exact bytes (for programs).
void put_name(Json& object, const std::string& key, const std::string& name) {
  object[key] = name;
  if (!is_valid_utf8(name)) object[key + "_b64"] = base64_encode(name);
}

Json name_object(const std::string& path) {
  Json object = Json::object();
  put_name(object, "path", path);
  return object;
}

Json names_json(const std::vector<std::string>& paths) {
  Json files = Json::array();
  for (const std::string& path : paths) files.push_back(name_object(path));
  return files;
}

Json summary_json(const DirectorySummary& s) {
  return Json{{"files", s.files},
              {"hashed", s.hashed},
              {"failed", s.failed},
              {"unique_size", s.unique_size},
              {"unique_partial", s.unique_partial},
              {"empty", s.empty},
              {"skipped", s.skipped},
              {"duplicate_groups", s.duplicate_groups},
              {"duplicate_files", s.duplicate_files},
              {"wasted_bytes", s.wasted_bytes},
              {"hardlink_sets", s.hardlink_sets},
              {"bytes_hashed", s.bytes_hashed},
              {"bytes_partial", s.bytes_partial}};
}

Json failure_json(const FailureRecord& failure) {
  Json object = name_object(failure.url);
  object["stage"] = stage_name(failure.stage);
  object["error"] = failure.error;
  return object;
}

std::string summary_line(const DirectoryReport& report) {
  const DirectorySummary& s = report.summary;
  return std::to_string(s.files) + " files: " + std::to_string(s.hashed) + " hashed, " +
         std::to_string(s.unique_size) + " of unique size never read, " + std::to_string(s.failed) +
         " failed. " + std::to_string(s.duplicate_groups) + " duplicate groups (" +
         report.algorithm + "): " + std::to_string(s.duplicate_files) + " redundant files, " +
         std::to_string(s.wasted_bytes) + " bytes wasted; " + std::to_string(s.hardlink_sets) +
         " hard-link sets.\n";
}

}  // namespace

Expected<void> DirectoryReportBuilder::add(const DigestRecord& record) {
  if (has_digests_ && record.algorithm != algorithm_) {
    return fail("record " + record.id + " uses " + record.algorithm + ", the run uses " +
                algorithm_);
  }
  algorithm_ = record.algorithm;
  has_digests_ = true;
  if (seen_ids_.insert(record.id).second)
    paths_by_key_[{record.size, record.digest}].push_back(record.path);
  return {};
}

void DirectoryReportBuilder::add(FailureRecord record) { failures_.push_back(std::move(record)); }

void DirectoryReportBuilder::add(const LinkRecord& record) {
  HardlinkSet& set = links_by_target_[record.target];
  if (set.paths.empty()) set.paths.push_back(record.target);
  set.size = record.size;
  set.paths.push_back(record.path);
}

void DirectoryReportBuilder::add(const StatRecord& record) { stats_[record.name] += record.value; }

void sort_groups(std::vector<DirectoryGroup>& groups) {
  for (DirectoryGroup& group : groups) std::sort(group.paths.begin(), group.paths.end());
  std::sort(groups.begin(), groups.end(), [](const DirectoryGroup& a, const DirectoryGroup& b) {
    if (a.wasted_bytes() != b.wasted_bytes()) return a.wasted_bytes() > b.wasted_bytes();
    return std::tie(a.digest, a.size, a.paths) < std::tie(b.digest, b.size, b.paths);
  });
}

std::vector<DirectoryGroup> DirectoryReportBuilder::candidate_groups() const {
  std::vector<DirectoryGroup> groups;
  for (const auto& [key, paths] : paths_by_key_) {
    if (paths.size() >= 2) groups.push_back(DirectoryGroup{key.second, key.first, paths});
  }
  sort_groups(groups);
  return groups;
}

DirectoryReport DirectoryReportBuilder::build(std::vector<DirectoryGroup> groups,
                                              std::vector<FailureRecord> extra) const {
  DirectoryReport report{algorithm_, {}, std::move(groups), {}, failures_};
  sort_groups(report.groups);
  for (const auto& [target, set] : links_by_target_) {
    report.hardlinks.push_back(set);
    std::sort(report.hardlinks.back().paths.begin(), report.hardlinks.back().paths.end());
  }
  report.failures.insert(report.failures.end(), extra.begin(), extra.end());
  std::sort(report.failures.begin(), report.failures.end(), [](const auto& a, const auto& b) {
    return std::tie(a.stage, a.url, a.error, a.id) < std::tie(b.stage, b.url, b.error, b.id);
  });
  DirectorySummary& s = report.summary;
  const auto stat = [&](const char* name) { return stats_.contains(name) ? stats_.at(name) : 0; };
  s.files = stat("files");
  s.unique_size = stat("unique_size");
  s.unique_partial = stat("unique_partial");
  s.empty = stat("empty");
  s.skipped = stat("skipped");
  s.bytes_hashed = stat("full_bytes");
  s.bytes_partial = stat("partial_bytes");
  s.hashed = seen_ids_.size();
  s.failed = report.failures.size();
  s.duplicate_groups = report.groups.size();
  for (const DirectoryGroup& group : report.groups) {
    s.duplicate_files += group.paths.size() - 1;
    s.wasted_bytes += group.wasted_bytes();
  }
  s.hardlink_sets = report.hardlinks.size();
  return report;
}

std::string to_json(const DirectoryReport& report) {
  Json groups = Json::array();
  for (const DirectoryGroup& g : report.groups) {
    groups.push_back({{"digest", g.digest}, {"size", g.size}, {"files", names_json(g.paths)}});
  }
  Json hardlinks = Json::array();
  for (const HardlinkSet& set : report.hardlinks) {
    hardlinks.push_back({{"size", set.size}, {"files", names_json(set.paths)}});
  }
  Json failures = Json::array();
  for (const FailureRecord& failure : report.failures) failures.push_back(failure_json(failure));
  const Json json{{"version", 1},
                  {"mode", "dir"},
                  {"complete", true},
                  {"algorithm", report.algorithm},
                  {"summary", summary_json(report.summary)},
                  {"groups", std::move(groups)},
                  {"hardlinks", std::move(hardlinks)},
                  {"failures", std::move(failures)}};
  // Names that are not UTF-8 carry a _b64 twin; the error texts quoting them get U+FFFD.
  return json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string to_text(const DirectoryReport& report) {
  std::string text = "dupipe report (directory mode)\n" + summary_line(report);
  std::size_t number = 0;
  for (const DirectoryGroup& g : report.groups) {
    text += "\nGroup " + std::to_string(++number) + ": " + std::to_string(g.paths.size()) +
            " files of " + std::to_string(g.size) + " bytes, " + std::to_string(g.wasted_bytes()) +
            " bytes wasted, " + report.algorithm + " " + g.digest + "\n";
    for (const std::string& path : g.paths) text += "  " + escape_field(path) + "\n";
  }
  number = 0;
  for (const HardlinkSet& set : report.hardlinks) {
    text += "\nHard links " + std::to_string(++number) + ": " + std::to_string(set.paths.size()) +
            " names of one file of " + std::to_string(set.size) + " bytes\n";
    for (const std::string& path : set.paths) text += "  " + escape_field(path) + "\n";
  }
  if (!report.failures.empty()) {
    text += "\nFailures (" + std::to_string(report.failures.size()) + "):\n";
    for (const FailureRecord& f : report.failures) {
      text += "  [" + std::string(stage_name(f.stage)) + "] " + escape_field(f.error) + "\n";
    }
  }
  return text;
}

}  // namespace dupipe::aggregator
