// In-memory endpoints for unit tests of the stage loops: a reader fed from a vector of lines and
// a writer that collects lines. Same contract as the real transports, no file descriptors. The
// reader checks acknowledgements strictly (each tag it handed out, once) and keeps them, so a
// test can assert what a stage acknowledged; its acknowledge may run on another thread than its
// reads, as the contract allows. `on_event`, if set, sees "ack <line>" and "reject <line>"
// (and the writer "write <line>") as they happen, for tests that assert an order.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/transport/endpoint.hpp"

namespace dupipe {

class MemoryReader final : public RecordReader {
 public:
  explicit MemoryReader(std::vector<std::string> lines) : lines_(std::move(lines)) {}

  [[nodiscard]] ReadResult read_until(ReadDeadline /*deadline*/) override {
    const std::lock_guard lock(mutex_);
    if (next_ == lines_.size()) return {ReadStatus::kEndOfStream, {}};
    const DeliveryTag tag{++next_};
    outstanding_.emplace(tag, lines_[next_ - 1]);
    return {ReadStatus::kRecord, Delivery{lines_[next_ - 1], tag}};
  }
  void acknowledge(DeliveryTag tag) override { finish(tag, "ack "); }
  void reject(DeliveryTag tag, std::chrono::milliseconds /*delay*/) override {
    finish(tag, "reject ");
  }
  [[nodiscard]] const std::string& name() const override { return name_; }

  // Lines read and not yet acknowledged or rejected.
  [[nodiscard]] std::size_t outstanding() const {
    const std::lock_guard lock(mutex_);
    return outstanding_.size();
  }
  [[nodiscard]] std::vector<std::string> acknowledged() const {
    const std::lock_guard lock(mutex_);
    return acknowledged_;
  }

  std::function<void(const std::string&)> on_event;

 private:
  void finish(DeliveryTag tag, const std::string& event) {
    const std::lock_guard lock(mutex_);
    const auto found = outstanding_.find(tag);
    if (found == outstanding_.end()) {
      throw FatalError(name_ + ": " + event + "of tag " + std::to_string(tag.value) +
                       ", which is not outstanding");
    }
    if (event == "ack ") acknowledged_.push_back(found->second);
    if (on_event) on_event(event + found->second);
    outstanding_.erase(found);
  }

  std::vector<std::string> lines_;
  std::size_t next_ = 0;
  mutable std::mutex mutex_;
  std::map<DeliveryTag, std::string> outstanding_;
  std::vector<std::string> acknowledged_;
  std::string name_ = "memory";
};

class MemoryWriter final : public RecordWriter {
 public:
  void write_line(std::string_view line) override {
    lines.emplace_back(line);
    if (on_event) on_event("write " + lines.back());
  }
  [[nodiscard]] const std::string& name() const override { return name_; }

  std::vector<std::string> lines;
  std::function<void(const std::string&)> on_event;

 private:
  std::string name_ = "memory";
};

}  // namespace dupipe
