#include "aggregator/aggregator.hpp"

#include <optional>
#include <unordered_set>

#include "common/os/signals.hpp"
#include "common/os/sys.hpp"
#include "common/protocol/record_journal.hpp"

namespace dupipe::aggregator {
namespace {

class Accountant {
 public:
  Accountant(const Config& config, const std::string& input_name)
      : builder_(config.algorithm), input_name_(input_name) {}

  // Adds one record line; throws FatalError(kProtocol) naming the input when it is not H or F.
  void add(std::string_view line) {
    auto record = parse_record(line);
    if (!record) throw FatalError(input_name_ + ": " + record.error().message, ExitCode::kProtocol);
    if (const auto* digest = std::get_if<DigestRecord>(&*record)) {
      if (auto ok = builder_.add(*digest); !ok) {
        throw FatalError(input_name_ + ": " + ok.error().message, ExitCode::kProtocol);
      }
    } else if (auto* failure = std::get_if<FailureRecord>(&*record)) {
      builder_.add(std::move(*failure));
    } else {
      throw FatalError(
          input_name_ + ": the aggregator takes H and F records only (is a stage missing?)",
          ExitCode::kProtocol);
    }
    settled_.insert(accounting_key(line));
  }

  // Compares with the producer's manifest: what it sent and nobody settled is lost in the
  // pipeline. Returns whether nothing is (after turning the lost into failures when asked).
  bool check_manifest(const std::string& manifest, bool lost_are_failures, const Logger& logger) {
    std::size_t lost = 0;
    read_journal(manifest, [&](std::string_view line) {
      if (settled_.contains(accounting_key(line))) return;
      ++lost;
      if (lost_are_failures) add_lost(line);
    });
    if (lost > 0) {
      logger.warning(std::to_string(lost) + " records of " + manifest + " never arrived" +
                     (lost_are_failures ? ": reported as failures" : ""));
    }
    return lost == 0 || lost_are_failures;
  }

  [[nodiscard]] Report build() const { return builder_.build(); }

 private:
  void add_lost(std::string_view line) {
    auto record = parse_record(line);
    if (!record) return;
    if (auto* failure = std::get_if<FailureRecord>(&*record)) {
      builder_.add(std::move(*failure));
    } else if (const auto* url = std::get_if<UrlRecord>(&*record)) {
      builder_.add(FailureRecord{url->id, url->url, Stage::kAggregator,
                                 "lost in the pipeline: a stage died holding it and the re-feeds "
                                 "did not get it through"});
    } else if (const auto* file = std::get_if<FileRecord>(&*record)) {
      builder_.add(FailureRecord{file->id, file->url, Stage::kAggregator,
                                 "lost in the pipeline after it was downloaded"});
    }
  }

  ReportBuilder builder_;
  std::string input_name_;
  std::unordered_set<std::string> settled_;
};

}  // namespace

Outcome aggregate(RecordReader& input, const Config& config, const Logger& logger) {
  Accountant accountant(config, input.name());
  std::optional<RecordJournal> journal;
  if (!config.journal.empty()) {
    std::size_t replayed = 0;
    journal = RecordJournal::open(config.journal, [&](std::string_view line) {
      accountant.add(line);
      ++replayed;
    });
    if (replayed > 0)
      logger.info("replayed " + std::to_string(replayed) + " records of " + config.journal);
  }
  Outcome outcome;
  try {
    while (const auto delivery = input.read()) {
      throw_if_stopped();
      const std::string& line = delivery->line;
      accountant.add(line);
      if (journal) journal->append(line);  // before the acknowledgement: taken means kept
      logger.debug("took " + line.substr(0, 120));
      input.acknowledge(delivery->tag);
    }
  } catch (const Interrupted& stop) {
    outcome.stopped_by = stop.signal_number();
  }
  if (journal) journal->sync();
  bool complete = !outcome.stopped_by;
  if (complete && !config.manifest.empty()) {
    complete = accountant.check_manifest(config.manifest, config.lost_are_failures, logger);
  }
  outcome.report = accountant.build();
  outcome.report.complete = complete;
  if (!config.crawl_state.empty()) {
    // Written by the producer as the crawl ended; a crawl stopped early has none yet.
    auto crawl = read_crawl_state(config.crawl_state);
    if (crawl) {
      outcome.report.crawl = std::move(*crawl);
    } else {
      logger.warning(crawl.error().message + ": the report has no depths");
    }
  }
  return outcome;
}

void write_report(const Report& report, const std::string& out_dir) {
  value_or_fatal(sys::make_directories(out_dir));
  for (const auto& [name, contents] :
       {std::pair{"/report.json", to_json(report)}, std::pair{"/report.txt", to_text(report)}}) {
    value_or_fatal(sys::write_file_atomically(out_dir + name, contents));
  }
}

}  // namespace dupipe::aggregator
