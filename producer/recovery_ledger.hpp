// The producer's side of end-to-end recovery (docs/RECOVERY.md): a RecordWriter in front of the
// output that
//  - skips what the aggregator's journal already accounts (a resumed or re-fed run sends only
//    what is missing),
//  - skips what this pass's manifest says was sent already (a restarted producer does not send
//    a URL twice), and appends everything else to the manifest before sending it, so the
//    aggregator can tell what never arrived,
//  - sends the P record of a URL the fetchers' journal lists as downloaded, when that file is
//    still there with its size, instead of the URL: a finished download is not fetched again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/protocol/record_journal.hpp"
#include "common/transport/endpoint.hpp"

namespace dupipe::producer {

struct LedgerFiles {
  std::string done;      // the aggregator's journal: records already accounted
  std::string manifest;  // this pass's manifest: appended to, and what a restart skips
  std::string fetched;   // the fetchers' journal of finished downloads (P records)
  [[nodiscard]] bool any() const { return !done.empty() || !manifest.empty() || !fetched.empty(); }
};

struct LedgerCounts {
  std::uint64_t already_done = 0;
  std::uint64_t already_sent = 0;
  std::uint64_t downloads_reused = 0;
};

class LedgerWriter final : public RecordWriter {
 public:
  // Reads the journals named in `files`; throws FatalError naming one that cannot be read.
  LedgerWriter(std::unique_ptr<RecordWriter> output, const LedgerFiles& files);

  void write_line(std::string_view line) override;
  [[nodiscard]] const std::string& name() const override { return output_->name(); }
  [[nodiscard]] const LedgerCounts& counts() const { return counts_; }

 private:
  [[nodiscard]] std::optional<std::string> downloaded_file_for(std::string_view url_line) const;

  std::unique_ptr<RecordWriter> output_;
  std::unordered_set<std::string> done_;
  std::unordered_set<std::string> sent_;
  std::unordered_map<std::string, std::string> fetched_by_id_;  // id -> P line
  std::optional<RecordJournal> manifest_;
  LedgerCounts counts_;
};

}  // namespace dupipe::producer
