#include "producer/producer.hpp"

#include <unordered_map>

#include "common/signals.hpp"

namespace dupipe::producer {
namespace {

class Intake {
 public:
  Intake(RecordWriter& output, const UrlPolicy& policy, const Logger& logger)
      : output_(output), policy_(policy), logger_(logger) {}

  void take(std::string_view raw, std::uint64_t line_number) {
    ClassifiedLine line = classify_line(raw, policy_);
    switch (line.verdict) {
      case LineVerdict::kSkip: ++counts_.skipped; return;
      case LineVerdict::kReject: reject(line.text, line_number, line.reason); return;
      case LineVerdict::kAccept: accept(std::move(line.text), line_number); return;
    }
  }

  [[nodiscard]] const Counts& counts() const { return counts_; }

 private:
  void accept(std::string url, std::uint64_t line_number) {
    const auto [first, is_new] = first_line_of_.try_emplace(url, line_number);
    if (!is_new) {
      reject(url, line_number, "repeat of line " + std::to_string(first->second));
      return;
    }
    ++counts_.accepted;
    write_record(output_, UrlRecord{make_record_id(url), std::move(url)});
  }

  void reject(const std::string& text, std::uint64_t line_number, const std::string& reason) {
    ++counts_.rejected;
    const std::string error = "line " + std::to_string(line_number) + ": " + reason;
    logger_.warning(error);
    write_record(output_, FailureRecord{make_record_id(text), text, Stage::kProducer, error});
  }

  RecordWriter& output_;
  const UrlPolicy& policy_;
  const Logger& logger_;
  Counts counts_;
  // Exact repeats are dropped; memory grows with the number of distinct URLs (<= 2 KiB each).
  std::unordered_map<std::string, std::uint64_t> first_line_of_;
};

}  // namespace

Counts run(RecordReader& input, RecordWriter& output, const UrlPolicy& policy,
           const Logger& logger) {
  Intake intake(output, policy, logger);
  std::uint64_t line_number = 0;
  while (const auto line = input.read_line()) {
    throw_if_stopped();
    intake.take(*line, ++line_number);
    input.acknowledge();
  }
  return intake.counts();
}

}  // namespace dupipe::producer
