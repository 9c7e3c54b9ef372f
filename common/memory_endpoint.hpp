// In-memory endpoints for unit tests of the stage loops: a reader fed from a vector of lines and
// a writer that collects lines. Same contract as the real transports, no file descriptors.
#pragma once

#include <string>
#include <vector>

#include "common/endpoint.hpp"

namespace dupipe {

class MemoryReader final : public RecordReader {
 public:
  explicit MemoryReader(std::vector<std::string> lines) : lines_(std::move(lines)) {}
  [[nodiscard]] std::optional<std::string> read_line() override {
    if (next_ == lines_.size()) return std::nullopt;
    return lines_[next_++];
  }
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  std::vector<std::string> lines_;
  std::size_t next_ = 0;
  std::string name_ = "memory";
};

class MemoryWriter final : public RecordWriter {
 public:
  void write_line(std::string_view line) override { lines.emplace_back(line); }
  [[nodiscard]] const std::string& name() const override { return name_; }

  std::vector<std::string> lines;

 private:
  std::string name_ = "memory";
};

}  // namespace dupipe
