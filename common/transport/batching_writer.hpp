// Packs several whole records into one write(2) of at most kMaxRecordBytes (PIPE_BUF), for the
// FIFO links of directory mode where tens of thousands of small records pass: a packet-mode
// reader then takes a whole batch with one lock and one read instead of one per record, and a
// write of at most PIPE_BUF stays atomic with several writers. Only for FIFO, file and stdio
// endpoints (where the unit of a write is what a reader sees; see wants_batching). Call flush()
// at the end: the destructor does not write. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/transport/endpoint.hpp"

namespace dupipe {

class BatchingWriter final : public RecordWriter {
 public:
  // With is_enabled false every line is passed on at once (for endpoints that frame records).
  BatchingWriter(std::unique_ptr<RecordWriter> inner, bool is_enabled)
      : inner_(std::move(inner)), is_enabled_(is_enabled) {}

  void write_line(std::string_view line) override;
  // Writes what is pending, if anything, as one write.
  void flush();
  // Counts work the reader of the pending batch will have (e.g. file bytes to hash) and flushes
  // once it reaches kMaxBatchWorkBytes, so one reader of a shared link does not get all the
  // large files of a batch while the others wait.
  void add_work(std::uint64_t bytes);

  static constexpr std::uint64_t kMaxBatchWorkBytes = 1 << 20;
  [[nodiscard]] const std::string& name() const override { return inner_->name(); }
  // The inner writer's: waiting for room says nothing about the batch not yet written.
  [[nodiscard]] QueueControl* queue_control() override { return inner_->queue_control(); }
  // Bytes of the batch not yet written.
  [[nodiscard]] std::size_t pending_bytes() const { return pending_.size(); }

 private:
  std::unique_ptr<RecordWriter> inner_;
  bool is_enabled_;
  std::uint64_t pending_work_bytes_ = 0;
  std::string pending_;  // whole records joined by LF, without the final LF
};

// True for endpoints written with plain write(2) calls (stdio, PATH, fifo:, packet:); false for
// transports that frame each record themselves (shm:), where a batch would arrive as one record.
[[nodiscard]] bool wants_batching(std::string_view endpoint);

}  // namespace dupipe
