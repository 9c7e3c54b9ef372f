#include "common/transport/instrumented_endpoint.hpp"

#include "common/observe/trace_recorder.hpp"

namespace dupipe {
namespace {

// The times come from set_activity, which reads the clock anyway: tracing adds no clock reads.
class InstrumentedReader final : public RecordReader {
 public:
  InstrumentedReader(std::unique_ptr<RecordReader> inner, StageStats& stats, RecordSpanEnd end)
      : inner_(std::move(inner)), stats_(stats) {
    if (stats_.trace() != nullptr) stats_.trace()->set_span_end(end);
  }

  // A timeout is not the end of a record's span: only a record or the end of the stream is traced.
  ReadResult read_until(ReadDeadline deadline) override {
    const std::uint64_t begin = stats_.set_activity(Activity::kReading);
    ReadResult result = inner_->read_until(deadline);
    const bool has_line = result.status == ReadStatus::kRecord;
    if (has_line) stats_.record_in(result.delivery.line);
    const bool is_end = result.status == ReadStatus::kEndOfStream;
    const std::uint64_t end = stats_.set_activity(is_end ? Activity::kDone : Activity::kWorking);
    if (stats_.trace() != nullptr && result.status != ReadStatus::kTimedOut) {
      stats_.trace()->read(begin, end, has_line ? &result.delivery.line : nullptr);
    }
    return result;
  }
  [[nodiscard]] std::optional<int> wait_fd() const override { return inner_->wait_fd(); }
  void acknowledge(DeliveryTag tag) override { inner_->acknowledge(tag); }
  void extend_lease(DeliveryTag tag) override { inner_->extend_lease(tag); }
  void reject(DeliveryTag tag, std::chrono::milliseconds delay) override {
    inner_->reject(tag, delay);
  }
  [[nodiscard]] std::size_t max_in_flight() const override { return inner_->max_in_flight(); }
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
  [[nodiscard]] bool try_write_line(std::string_view line) override {
    const std::uint64_t begin = stats_.set_activity(Activity::kWriting);
    const bool is_written = inner_->try_write_line(line);
    const std::uint64_t end = stats_.set_activity(Activity::kWorking);
    // Counted after the try here: a line that did not fit was never out.
    if (is_written) {
      stats_.record_out(line);
      if (stats_.trace() != nullptr) stats_.trace()->wrote(begin, end, line);
    }
    return is_written;
  }
  [[nodiscard]] std::optional<int> wait_fd() const override { return inner_->wait_fd(); }
  [[nodiscard]] const std::string& name() const override { return inner_->name(); }
  [[nodiscard]] QueueControl* queue_control() override { return inner_->queue_control(); }

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
