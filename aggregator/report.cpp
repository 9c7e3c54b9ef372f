#include "aggregator/report.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "common/protocol/redaction.hpp"

namespace dupipe::aggregator {
namespace {

using Json = nlohmann::ordered_json;

bool group_order(const DuplicateGroup& a, const DuplicateGroup& b) {
  if (a.wasted_bytes() != b.wasted_bytes()) return a.wasted_bytes() > b.wasted_bytes();
  return std::tie(a.digest, a.size) < std::tie(b.digest, b.size);
}

bool failure_order(const FailureRecord& a, const FailureRecord& b) {
  return std::tie(a.stage, a.url, a.error, a.id) < std::tie(b.stage, b.url, b.error, b.id);
}

Json summary_json(const Summary& s) {
  return Json{{"urls", s.urls},
              {"fetched", s.fetched},
              {"failed", s.failed},
              {"rejected", s.rejected},
              {"duplicate_groups", s.duplicate_groups},
              {"duplicate_files", s.duplicate_files},
              {"wasted_bytes", s.wasted_bytes}};
}

Json group_json(const DuplicateGroup& group, const std::optional<CrawlState>& crawl) {
  Json files = Json::array();
  for (const ReportFile& file : group.files) {
    Json entry{{"url", file.url}, {"path", file.path}};
    if (crawl) {
      if (const auto page = crawl->pages.find(file.url); page != crawl->pages.end()) {
        entry["depth"] = page->second.depth;
        if (!page->second.found_on.empty()) entry["found_on"] = page->second.found_on;
      }
    }
    files.push_back(std::move(entry));
  }
  return Json{{"digest", group.digest}, {"size", group.size}, {"files", std::move(files)}};
}

Json failure_json(const FailureRecord& failure) {
  return Json{{"url", failure.url}, {"stage", stage_name(failure.stage)}, {"error", failure.error}};
}

std::string summary_paragraph(const Report& report) {
  const Summary& s = report.summary;
  return std::to_string(s.urls) + " URLs: " + std::to_string(s.fetched) + " fetched, " +
         std::to_string(s.failed) + " failed, " + std::to_string(s.rejected) + " rejected. " +
         std::to_string(s.duplicate_groups) + " duplicate groups (" + report.algorithm +
         "): " + std::to_string(s.duplicate_files) + " redundant files, " +
         std::to_string(s.wasted_bytes) + " bytes wasted.\n";
}

}  // namespace

Expected<void> ReportBuilder::add(const DigestRecord& record) {
  if (has_digests_ && record.algorithm != algorithm_) {
    return fail("record " + record.id + " uses " + record.algorithm + ", the run uses " +
                algorithm_);
  }
  algorithm_ = record.algorithm;
  has_digests_ = true;
  if (!seen_ids_.insert(record.id).second) return {};
  ++fetched_;
  // The report is shared and kept: passwords in URLs are masked (docs/SECURITY.md).
  files_by_key_[{record.size, record.digest}].push_back(
      {redact_credentials(record.url), record.path});
  return {};
}

void ReportBuilder::add(FailureRecord record) {
  record.url = redact_credentials(record.url);
  record.error = redact_credentials(record.error);
  std::string key = record.id;
  if (record.stage == Stage::kProducer) key += "\treject\t" + record.error;
  failure_by_key_.try_emplace(std::move(key), std::move(record));
}

Report ReportBuilder::build() const {
  Report report;
  report.algorithm = algorithm_;
  for (const auto& [key, files] : files_by_key_) {
    if (files.size() < 2) continue;
    DuplicateGroup group{key.second, key.first, files};
    std::sort(group.files.begin(), group.files.end(), [](const ReportFile& a, const ReportFile& b) {
      return std::tie(a.url, a.path) < std::tie(b.url, b.path);
    });
    report.groups.push_back(std::move(group));
  }
  std::sort(report.groups.begin(), report.groups.end(), group_order);
  for (const auto& [key, failure] : failure_by_key_) {
    if (failure.stage != Stage::kProducer && seen_ids_.contains(failure.id)) continue;
    report.failures.push_back(failure);
  }
  std::sort(report.failures.begin(), report.failures.end(), failure_order);

  Summary& s = report.summary;
  s.fetched = fetched_;
  for (const FailureRecord& failure : report.failures) {
    ++(failure.stage == Stage::kProducer ? s.rejected : s.failed);
  }
  s.urls = s.fetched + s.failed + s.rejected;
  s.duplicate_groups = report.groups.size();
  for (const DuplicateGroup& group : report.groups) {
    s.duplicate_files += group.files.size() - 1;
    s.wasted_bytes += group.wasted_bytes();
  }
  return report;
}

std::string to_json(const Report& report) {
  Json groups = Json::array();
  for (const DuplicateGroup& group : report.groups) {
    groups.push_back(group_json(group, report.crawl));
  }
  Json summary = summary_json(report.summary);
  if (report.crawl) {
    summary["not_fetched"] = report.crawl->not_fetched;
    if (!report.crawl->likely_traps.empty()) summary["likely_traps"] = report.crawl->likely_traps;
  }
  Json failures = Json::array();
  for (const FailureRecord& failure : report.failures) failures.push_back(failure_json(failure));
  const Json json{{"version", 1},
                  {"complete", report.complete},
                  {"algorithm", report.algorithm},
                  {"summary", std::move(summary)},
                  {"groups", std::move(groups)},
                  {"failures", std::move(failures)}};
  // Rejected input lines may hold invalid UTF-8; JSON cannot, so such bytes become U+FFFD.
  return json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string to_text(const Report& report) {
  std::string text = "dupipe report\n" + summary_paragraph(report);
  if (report.crawl && !report.crawl->not_fetched.empty()) {
    std::string reasons;
    for (const auto& [reason, count] : report.crawl->not_fetched) {
      reasons += (reasons.empty() ? "" : ", ") + std::to_string(count) + " " + reason;
    }
    text += "Found and not fetched: " + reasons + ".\n";
  }
  if (report.crawl) {
    for (const auto& [prefix, pages] : report.crawl->likely_traps) {
      text += "Likely trap: " + prefix + " (" + std::to_string(pages) +
              " pages of content already seen).\n";
    }
  }
  if (!report.complete) {
    text +=
        "INCOMPLETE: the run stopped before every URL was accounted; continue it with "
        "scripts/run_pipeline.sh --resume --out OUT.\n";
  }
  std::size_t number = 0;
  for (const DuplicateGroup& group : report.groups) {
    text += "\nGroup " + std::to_string(++number) + ": " + std::to_string(group.files.size()) +
            " files of " + std::to_string(group.size) + " bytes, " +
            std::to_string(group.wasted_bytes()) + " bytes wasted, " + report.algorithm + " " +
            group.digest + "\n";
    for (const ReportFile& file : group.files)
      text += "  " + file.url + "  ->  " + file.path + "\n";
  }
  if (!report.failures.empty()) {
    text += "\nFailures (" + std::to_string(report.failures.size()) + "):\n";
    for (const FailureRecord& failure : report.failures) {
      text += "  [" + std::string(stage_name(failure.stage)) + "] " + failure.url + ": " +
              failure.error + "\n";
    }
  }
  return text;
}

}  // namespace dupipe::aggregator
