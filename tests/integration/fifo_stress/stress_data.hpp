// The deterministic workload of fifo_stress: which records each writer sends, derived from the
// seed alone, so the parent can recompute what the readers must have received without any data
// passing between the processes. Pure functions and a value-type PRNG; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dupipe::fifo_stress {

// SplitMix64: tiny, fast, and the same sequence for a seed on every platform and build.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  [[nodiscard]] std::uint64_t next();
  // A value in [0, bound); bound > 0. The modulo bias is irrelevant for a stress test.
  [[nodiscard]] std::uint64_t below(std::uint64_t bound) { return next() % bound; }

 private:
  std::uint64_t state_;
};

struct Workload {
  std::uint64_t seed = 1;
  int writers = 2;
  std::uint64_t records = 200000;  // over all writers
};

// How many records `writer` sends: an even share, the first writers taking the remainder.
[[nodiscard]] std::uint64_t writer_share(const Workload& workload, int writer);

// The payload of record `seq` of `writer`: random bytes 0-255 (at least one) whose escaped size
// fills a random budget; one record in eight fills the line to exactly kMaxRecordBytes with its
// newline and one in eight is at most 16 bytes, so both edges are exercised often.
[[nodiscard]] std::string make_payload(const Workload& workload, int writer, std::uint64_t seq);

// {"T", writer, seq, payload} encoded by the real codec (no newline); throws FatalError if the
// codec refuses it, which would be a bug in make_payload's budget.
[[nodiscard]] std::string make_line(int writer, std::uint64_t seq, const std::string& payload);

// Bytes make_line produces plus the newline, computed without encoding.
[[nodiscard]] std::size_t framed_size(int writer, std::uint64_t seq, std::string_view payload);

// What readers report and the parent compares instead of the payload itself.
[[nodiscard]] std::uint64_t payload_hash(std::string_view payload);

}  // namespace dupipe::fifo_stress
