#include "producer/producer.hpp"

#include "common/os/signals.hpp"
#include "common/protocol/record_id.hpp"
#include "common/protocol/redaction.hpp"
#include "producer/seen_urls.hpp"

namespace dupipe::producer {
namespace {

class Intake {
 public:
  Intake(RecordWriter& output, const UrlPolicy& policy, const Logger& logger)
      : output_(output), policy_(policy), logger_(logger) {}

  void take(std::string_view raw, std::uint64_t line_number) {
    ClassifiedLine line = classify_line(raw, policy_);
    switch (line.verdict) {
      case LineVerdict::kSkip:
        ++counts_.skipped;
        return;
      case LineVerdict::kReject:
        reject(line.text, line_number, line.reason);
        return;
      case LineVerdict::kAccept:
        accept(std::move(line.text), line_number);
        return;
    }
  }

  [[nodiscard]] const Counts& counts() const { return counts_; }

 private:
  void accept(std::string url, std::uint64_t line_number) {
    if (const auto first = seen_.first_line_of(url, line_number)) {
      reject(url, line_number, "repeat of line " + std::to_string(*first));
      return;
    }
    ++counts_.accepted;
    write_record(output_, UrlRecord{make_record_id(url), std::move(url)});
  }

  void reject(const std::string& text, std::uint64_t line_number, const std::string& reason) {
    ++counts_.rejected;
    const std::string error = "line " + std::to_string(line_number) + ": " + reason;
    logger_.warning(error);
    // The id is of the line as written (stable); what is shown has its passwords masked.
    write_record(output_, FailureRecord{make_record_id(text), redact_credentials(text),
                                        Stage::kProducer, error});
  }

  RecordWriter& output_;
  const UrlPolicy& policy_;
  const Logger& logger_;
  Counts counts_;
  // Exact repeats are dropped; memory grows with the number of distinct URLs (a 16-byte key each).
  SeenUrls seen_;
};

}  // namespace

Counts run(RecordReader& input, RecordWriter& output, const UrlPolicy& policy,
           const Logger& logger) {
  Intake intake(output, policy, logger);
  std::uint64_t line_number = 0;
  while (const auto delivery = input.read()) {
    throw_if_stopped();
    intake.take(delivery->line, ++line_number);  // writes its U or F record, or skips the line
    input.acknowledge(delivery->tag);
  }
  return intake.counts();
}

}  // namespace dupipe::producer
