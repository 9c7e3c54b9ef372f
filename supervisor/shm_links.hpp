// The run's shared-memory segments: each link's queue (created exclusively, mode 0600, held open
// until `release`, so a writer the supervisor restarts finds the stream still open) and the live
// counters. The owner pid written into each is the supervisor's, so `--cleanup` knows a segment
// is stale once the supervisor is gone. Every segment is removed by the destructor.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace dupipe::supervisor {

class ShmSegment {
 public:
  // FatalError naming the segment if it exists or cannot be made.
  static ShmSegment create_queue(const std::string& name, std::uint32_t writers,
                                 std::uint64_t capacity_bytes);
  static ShmSegment create_stats(const std::string& name, std::uint32_t slots);
  ShmSegment(ShmSegment&& other) noexcept : name_(std::exchange(other.name_, {})) {}
  ShmSegment& operator=(ShmSegment&&) = delete;
  ~ShmSegment();

  // The last writer exited: readers see end of stream once the ring is drained.
  void release() const;
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  explicit ShmSegment(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace dupipe::supervisor
