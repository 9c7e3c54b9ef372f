#include "fetcher/fetcher.hpp"

#include <algorithm>

#include "common/record_id.hpp"
#include "common/signals.hpp"
#include "fetcher/input_pump.hpp"

namespace dupipe::fetcher {
namespace {

// Lines the input thread may read ahead: one per transfer slot, so that a burst of finished
// transfers is refilled at once instead of waiting for a thread hand-over per line (measured:
// with 2 lines ahead, 16 transfers ran ~20 % over the latency bound, see docs/PERFORMANCE.md).
// The cost: a fetcher holds up to that many URLs of a shared FIFO that others could have taken.
constexpr std::size_t kMinReadAheadLines = 2;
// Longest wait in one engine step: bounds how late a stop signal is noticed.
constexpr int kStepWaitMs = 100;

class Loop {
 public:
  Loop(RecordWriter& output, AsyncFetcher& fetcher, const UrlPolicy& policy, const Logger& logger)
      : output_(output), fetcher_(fetcher), policy_(policy), logger_(logger) {}

  void take(const std::string& line, const std::string& source) {
    if (is_bare_line(line)) {
      take_bare_url(line);
      return;
    }
    auto record = parse_record(line);
    if (!record) throw FatalError(source + ": " + record.error().message, ExitCode::kProtocol);
    if (auto* url = std::get_if<UrlRecord>(&*record)) {
      download(std::move(*url));
    } else if (std::holds_alternative<FailureRecord>(*record) ||
               std::holds_alternative<FileRecord>(*record)) {
      // F: settled upstream. P: downloaded in an earlier pass or run, re-fed for hashing.
      ++counts_.passed_through;
      write_record(output_, *record);
    } else {
      throw FatalError(source + ": a fetcher takes U, P and F records only", ExitCode::kProtocol);
    }
  }

  void emit_completions() {
    for (Completion& done : fetcher_.take_completions()) {
      if (!done.result) {
        report_failure(done.record.id, done.record.url, done.result.error().message);
        continue;
      }
      ++counts_.fetched;
      write_record(output_, FileRecord{done.record.id, done.record.url, done.result->path,
                                       done.result->size});
    }
  }

  [[nodiscard]] const Counts& counts() const { return counts_; }

 private:
  // A stand-in producer such as `cat urls.txt` sends raw lines: validate them as the producer does.
  void take_bare_url(const std::string& line) {
    ClassifiedLine classified = classify_line(line, policy_);
    if (classified.verdict == LineVerdict::kSkip) return;
    const std::string id = make_record_id(classified.text);
    if (classified.verdict == LineVerdict::kReject) {
      report_failure(id, classified.text, classified.reason);
      return;
    }
    download(UrlRecord{id, std::move(classified.text)});
  }

  void download(UrlRecord url) {
    logger_.debug("fetching " + url.url);
    fetcher_.start(std::move(url));
    emit_completions();  // a serial fetcher has finished already: keep its output in input order
  }

  void report_failure(const std::string& id, const std::string& url, const std::string& cause) {
    ++counts_.failed;
    logger_.warning(url + ": " + cause);
    write_record(output_, FailureRecord{id, url, Stage::kFetcher, cause});
  }

  RecordWriter& output_;
  AsyncFetcher& fetcher_;
  const UrlPolicy& policy_;
  const Logger& logger_;
  Counts counts_;
};

}  // namespace

Counts run(RecordReader& input, RecordWriter& output, AsyncFetcher& fetcher,
           const UrlPolicy& policy, const Logger& logger) {
  Loop loop(output, fetcher, policy, logger);
  InputPump pump(input, [&fetcher] { fetcher.wake(); },
                 std::max(kMinReadAheadLines, fetcher.free_slots()));
  try {
    while (true) {
      throw_if_stopped();
      while (fetcher.free_slots() > 0) {
        auto line = pump.try_take();
        if (!line) break;
        loop.take(*line, input.name());
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

Counts run(RecordReader& input, RecordWriter& output, UrlFetcher& fetcher,
           const UrlPolicy& policy, const Logger& logger) {
  SerialFetcher serial(fetcher);
  return run(input, output, serial, policy, logger);
}

}  // namespace dupipe::fetcher
