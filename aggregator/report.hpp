// The duplicate report: built from H and F records (pure, no I/O), rendered as the JSON contract
// of docs/REPORT.md and as human-readable text. Groups are files of equal size and digest.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/base/error.hpp"
#include "common/protocol/crawl_state.hpp"
#include "common/protocol/records.hpp"
#include "common/protocol/report_model.hpp"

namespace dupipe::aggregator {

struct Report {
  std::string algorithm;
  bool complete = true;  // false: stopped early, or records the producer sent never arrived
  Summary summary;
  std::vector<DuplicateGroup> groups;   // by wasted bytes descending, then digest
  std::vector<FailureRecord> failures;  // by stage, url, error
  // Crawl mode: each file's depth and found_on, and summary.not_fetched.
  std::optional<CrawlState> crawl;
};

class ReportBuilder {
 public:
  explicit ReportBuilder(std::string default_algorithm)
      : algorithm_(std::move(default_algorithm)) {}

  // A second H record for an id already seen is ignored (processing is idempotent). Fails when
  // the record's algorithm differs from the run's.
  [[nodiscard]] Expected<void> add(const DigestRecord& record);
  // Idempotent too: a later stage's failure counts once per id, and not at all once the id was
  // hashed (a re-fed URL that got through); a producer's rejection once per id and reason.
  void add(FailureRecord record);

  [[nodiscard]] Report build() const;

 private:
  std::string algorithm_;
  bool has_digests_ = false;
  std::set<std::string> seen_ids_;
  std::map<std::pair<std::uint64_t, std::string>, std::vector<ReportFile>> files_by_key_;
  std::uint64_t fetched_ = 0;
  std::map<std::string, FailureRecord> failure_by_key_;
};

[[nodiscard]] std::string to_json(const Report& report);
[[nodiscard]] std::string to_text(const Report& report);

}  // namespace dupipe::aggregator
