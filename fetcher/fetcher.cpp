#include "fetcher/fetcher.hpp"

#include <algorithm>
#include <functional>

#include "common/os/signals.hpp"
#include "common/protocol/record_id.hpp"
#include "fetcher/input_pump.hpp"
#include "fetcher/link_feedback.hpp"

namespace dupipe::fetcher {
namespace {

// Lines the input thread may read ahead: one per transfer slot, so that a burst of finished
// transfers is refilled at once instead of waiting for a thread hand-over per line.
// The cost: a fetcher holds up to that many URLs of a shared FIFO that others could have taken.
constexpr std::size_t kMinReadAheadLines = 2;
// Longest wait in one engine step: bounds how late a stop signal is noticed.
constexpr int kStepWaitMs = 100;

// Each input delivery is acknowledged once the record derived from it is written: at once for
// a pass-through, a skipped or a rejected line, after its P or F record for a download.
class Loop {
 public:
  Loop(RecordWriter& output, AsyncFetcher& fetcher, const UrlPolicy& policy, const Logger& logger,
       LinkFeedback* feedback, std::function<void(DeliveryTag)> acknowledge)
      : output_(output),
        feedback_(feedback),
        fetcher_(fetcher),
        policy_(policy),
        logger_(logger),
        acknowledge_(std::move(acknowledge)) {}

  void take(const Delivery& delivery, const std::string& source) {
    if (is_bare_line(delivery.line)) {
      take_bare_url(delivery);
      return;
    }
    auto record = parse_record(delivery.line);
    if (!record) throw FatalError(source + ": " + record.error().message, ExitCode::kProtocol);
    if (auto* url = std::get_if<UrlRecord>(&*record)) {
      download(std::move(*url), delivery.tag);
    } else if (std::holds_alternative<FailureRecord>(*record) ||
               std::holds_alternative<FileRecord>(*record)) {
      // F: settled upstream. P: downloaded in an earlier pass or run, re-fed for hashing.
      ++counts_.passed_through;
      write_record(output_, *record);
      acknowledge_(delivery.tag);
    } else {
      throw FatalError(source + ": a fetcher takes U, P and F records only", ExitCode::kProtocol);
    }
  }

  void emit_completions() {
    if (feedback_ != nullptr) {
      for (const BusyHost& busy : fetcher_.take_busy_hosts()) feedback_->host_busy(busy);
    }
    for (Completion& done : fetcher_.take_completions()) {
      if (!done.result) {
        report_failure(done.record.id, done.record.url, done.result.error().message);
        if (feedback_ != nullptr) feedback_->page_failed(done.record);
      } else {
        ++counts_.fetched;
        write_record(output_, FileRecord{done.record.id, done.record.url, done.result->path,
                                         done.result->size});
        if (feedback_ != nullptr) feedback_->page_fetched(done.record, *done.result);
      }
      acknowledge_(done.tag);
    }
  }

  [[nodiscard]] const Counts& counts() const { return counts_; }

 private:
  // A stand-in producer such as `cat urls.txt` sends raw lines: validate them as the producer does.
  void take_bare_url(const Delivery& delivery) {
    ClassifiedLine classified = classify_line(delivery.line, policy_);
    if (classified.verdict == LineVerdict::kSkip) return acknowledge_(delivery.tag);
    const std::string id = make_record_id(classified.text);
    if (classified.verdict == LineVerdict::kReject) {
      report_failure(id, classified.text, classified.reason);
      return acknowledge_(delivery.tag);
    }
    download(UrlRecord{id, std::move(classified.text)}, delivery.tag);
  }

  void download(UrlRecord url, DeliveryTag tag) {
    logger_.debug("fetching " + url.url);
    fetcher_.start(std::move(url), tag);
    emit_completions();  // a serial fetcher has finished already: keep its output in input order
  }

  void report_failure(const std::string& id, const std::string& url, const std::string& cause) {
    ++counts_.failed;
    logger_.warning(url + ": " + cause);
    write_record(output_, FailureRecord{id, url, Stage::kFetcher, cause});
  }

  RecordWriter& output_;
  LinkFeedback* feedback_;  // crawl mode only
  AsyncFetcher& fetcher_;
  const UrlPolicy& policy_;
  const Logger& logger_;
  std::function<void(DeliveryTag)> acknowledge_;
  Counts counts_;
};

}  // namespace

Counts run(RecordReader& input, RecordWriter& output, AsyncFetcher& fetcher,
           const UrlPolicy& policy, const Logger& logger, LinkFeedback* feedback) {
  // In a crawl the frontier caps the requests to a host across all fetchers: a URL waiting in
  // this fetcher's read-ahead counts against that cap while a sibling may sit idle, so a crawl's
  // fetcher reads ahead a single record (measured in bench/crawl.sh: 2 fetchers x 8 transfers took
  // 1.5x the latency bound with a read-ahead of 8, as much as the transfers).
  const std::size_t read_ahead =
      feedback != nullptr ? 1 : std::max(kMinReadAheadLines, fetcher.free_slots());
  InputPump pump(
      input, [&fetcher] { fetcher.wake(); }, read_ahead);
  Loop loop(output, fetcher, policy, logger, feedback,
            [&pump](DeliveryTag tag) { pump.acknowledge(tag); });
  try {
    while (true) {
      throw_if_stopped();
      while (fetcher.free_slots() > 0) {
        auto delivery = pump.try_take();
        if (!delivery) break;
        loop.take(*delivery, input.name());
      }
      if (pump.is_finished() && fetcher.is_idle()) break;
      fetcher.progress(kStepWaitMs);
      loop.emit_completions();
    }
  } catch (const Interrupted&) {  // wherever the stop was noticed (read, write, transfers)
    fetcher.keep_partial_downloads();
    throw;
  }
  return loop.counts();
}

Counts run(RecordReader& input, RecordWriter& output, UrlFetcher& fetcher, const UrlPolicy& policy,
           const Logger& logger, LinkFeedback* feedback) {
  SerialFetcher serial(fetcher);
  return run(input, output, serial, policy, logger, feedback);
}

}  // namespace dupipe::fetcher
