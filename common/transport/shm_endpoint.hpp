// Line transport over a dupipe shared-memory queue ("shm:NAME", see shm_queue.hpp). The launcher
// creates the segment (dupipe-shm create) with the number of writers of the link; each stage only
// attaches. Each record read stays in flight in a held cell of the reader's slot until it is
// acknowledged, up to kHeldRecordsPerReader at once (max_in_flight), so every record a killed
// reader held is listed by `dupipe-shm orphans`. Waits are on a futex, which poll(2) cannot see:
// wait_fd() is nullopt and read_for() sleeps in slices of at most 20 ms, so it returns within
// its timeout (plus one lock hold) and notices a stop within 20 ms. acknowledge() may be called
// from another thread than read_until() (ShmQueueReader's rule).
#pragma once

#include <string>

#include "common/shm/shm_queue.hpp"
#include "common/transport/endpoint.hpp"

namespace dupipe {

class ShmLineReader final : public RecordReader {
 public:
  explicit ShmLineReader(ShmQueue queue);

  // The tag is the record's RingPosition plus one (tag 0 is never a delivery; id 0 is a record).
  [[nodiscard]] ReadResult read_until(ReadDeadline deadline) override;
  void acknowledge(DeliveryTag tag) override;
  [[nodiscard]] std::size_t max_in_flight() const override { return kHeldRecordsPerReader; }
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  std::string name_;
  ShmQueueReader reader_;
};

class ShmLineWriter final : public RecordWriter {
 public:
  explicit ShmLineWriter(ShmQueue queue);

  void write_line(std::string_view line) override { writer_.send(line); }
  [[nodiscard]] bool try_write_line(std::string_view line) override {
    return writer_.send_for(line, std::chrono::milliseconds(0));
  }
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  std::string name_;
  ShmQueueWriter writer_;
};

}  // namespace dupipe
