// Line transport over a dupipe shared-memory queue ("shm:NAME", see shm_queue.hpp). The launcher
// creates the segment (dupipe-shm create) with the number of writers of the link; each stage only
// attaches. A record read stays in flight in the reader's slot until acknowledge() (or the next
// read), so the record a killed reader held is listed by `dupipe-shm orphans`.
#pragma once

#include <string>

#include "common/endpoint.hpp"
#include "common/shm_queue.hpp"

namespace dupipe {

class ShmLineReader final : public RecordReader {
 public:
  explicit ShmLineReader(ShmQueue queue);

  [[nodiscard]] std::optional<std::string> read_line() override { return reader_.receive(); }
  void acknowledge() override { reader_.acknowledge(); }
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  std::string name_;
  ShmQueueReader reader_;
};

class ShmLineWriter final : public RecordWriter {
 public:
  explicit ShmLineWriter(ShmQueue queue);

  void write_line(std::string_view line) override { writer_.send(line); }
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  std::string name_;
  ShmQueueWriter writer_;
};

}  // namespace dupipe
