#include "common/instrumented_endpoint.hpp"

#include "common/trace_recorder.hpp"

namespace dupipe {
namespace {

// The times come from set_activity, which reads the clock anyway: tracing adds no clock reads.
class InstrumentedReader final : public RecordReader {
 public:
  InstrumentedReader(std::unique_ptr<RecordReader> inner, StageStats& stats, RecordSpanEnd end)
      : inner_(std::move(inner)), stats_(stats) {
    if (stats_.trace() != nullptr) stats_.trace()->set_span_end(end);
  }

  std::optional<std::string> read_line() override {
    const std::uint64_t begin = stats_.set_activity(Activity::kReading);
    auto line = inner_->read_line();
    if (line) stats_.record_in(*line);
    const std::uint64_t end = stats_.set_activity(line ? Activity::kWorking : Activity::kDone);
    if (stats_.trace() != nullptr) stats_.trace()->read(begin, end, line ? &*line : nullptr);
    return line;
  }
  void acknowledge() override { inner_->acknowledge(); }
  [[nodiscard]] const std::string& name() const override { return inner_->name(); }

 private:
  std::unique_ptr<RecordReader> inner_;
  StageStats& stats_;
};

class InstrumentedWriter final : public RecordWriter {
 public:
  InstrumentedWriter(std::unique_ptr<RecordWriter> inner, StageStats& stats)
      : inner_(std::move(inner)), stats_(stats) {}

  void write_line(std::string_view line) override {
    const std::uint64_t begin = stats_.set_activity(Activity::kWriting);
    // Counted before the write: the reader may take the first records of a batch while this
    // write still blocks, and a monitor must never see the next stage take in more than this
    // one put out (out minus the next one's in is what the link holds).
    stats_.record_out(line);
    inner_->write_line(line);
    const std::uint64_t end = stats_.set_activity(Activity::kWorking);
    if (stats_.trace() != nullptr) stats_.trace()->wrote(begin, end, line);
  }
  [[nodiscard]] const std::string& name() const override { return inner_->name(); }

 private:
  std::unique_ptr<RecordWriter> inner_;
  StageStats& stats_;
};

}  // namespace

std::unique_ptr<RecordReader> instrument(std::unique_ptr<RecordReader> reader, StageStats* stats,
                                         RecordSpanEnd span_end) {
  if (stats == nullptr) return reader;
  return std::make_unique<InstrumentedReader>(std::move(reader), *stats, span_end);
}

std::unique_ptr<RecordWriter> instrument(std::unique_ptr<RecordWriter> writer, StageStats* stats) {
  if (stats == nullptr) return writer;
  return std::make_unique<InstrumentedWriter>(std::move(writer), *stats);
}

}  // namespace dupipe
