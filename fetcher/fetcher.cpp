#include "fetcher/fetcher.hpp"

#include "common/signals.hpp"

namespace dupipe::fetcher {
namespace {

class Loop {
 public:
  Loop(RecordWriter& output, UrlFetcher& fetcher, const UrlPolicy& policy, const Logger& logger)
      : output_(output), fetcher_(fetcher), policy_(policy), logger_(logger) {}

  void take(const std::string& line, const std::string& source) {
    if (is_bare_line(line)) {
      take_bare_url(line);
      return;
    }
    auto record = parse_record(line);
    if (!record) throw FatalError(source + ": " + record.error().message, ExitCode::kProtocol);
    if (auto* url = std::get_if<UrlRecord>(&*record)) {
      download(*url);
    } else if (std::holds_alternative<FailureRecord>(*record)) {
      ++counts_.passed_through;
      write_record(output_, *record);
    } else {
      throw FatalError(source + ": a fetcher takes U and F records only", ExitCode::kProtocol);
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

  void download(const UrlRecord& url) {
    logger_.debug("fetching " + url.url);
    auto file = fetcher_.fetch(url);
    if (!file) {
      report_failure(url.id, url.url, file.error().message);
      return;
    }
    ++counts_.fetched;
    write_record(output_, FileRecord{url.id, url.url, file->path, file->size});
  }

  void report_failure(const std::string& id, const std::string& url, const std::string& cause) {
    ++counts_.failed;
    logger_.warning(url + ": " + cause);
    write_record(output_, FailureRecord{id, url, Stage::kFetcher, cause});
  }

  RecordWriter& output_;
  UrlFetcher& fetcher_;
  const UrlPolicy& policy_;
  const Logger& logger_;
  Counts counts_;
};

}  // namespace

Counts run(RecordReader& input, RecordWriter& output, UrlFetcher& fetcher, const UrlPolicy& policy,
           const Logger& logger) {
  Loop loop(output, fetcher, policy, logger);
  while (const auto line = input.read_line()) {
    throw_if_stopped();
    loop.take(*line, input.name());
    input.acknowledge();
  }
  return loop.counts();
}

}  // namespace dupipe::fetcher
