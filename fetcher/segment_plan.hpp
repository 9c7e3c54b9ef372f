// How one large body is cut into byte ranges fetched in parallel, and how an idle transfer takes
// over the second half of the largest range still being fetched (so one slow range cannot hold
// the file up at the end). Pure functions over segment tables; the Job owns the table.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace dupipe::fetcher {

enum class SegmentState { kPending, kActive, kDone };

using SteadyTime = std::chrono::steady_clock::time_point;

// Bytes [begin, end) of the file; [begin, next) are written. next == end means complete.
struct Segment {
  std::uint64_t begin = 0;
  std::uint64_t next = 0;
  std::uint64_t end = 0;
  SegmentState state = SegmentState::kPending;
  SteadyTime active_since{};      // when its current transfer started ...
  std::uint64_t active_from = 0;  // ... and at which byte: its rate so far
  [[nodiscard]] std::uint64_t remaining() const { return end - next; }
};

// Marks the segment as being fetched from now on.
void activate(Segment& segment, SteadyTime now);

// Splits [begin, end) into at most `count` pending segments of near-equal size, none shorter
// than `min_bytes` (except a single segment for a short range).
[[nodiscard]] std::vector<Segment> plan_segments(std::uint64_t begin, std::uint64_t end,
                                                 std::uint64_t count, std::uint64_t min_bytes);

// The active segment expected to finish last at its rate so far (bytes left / bytes per second
// since it became active), among those with at least 2 * min_bytes left and a rate measured
// over at least 200 ms; ties go to the most bytes left. By time rather than bytes, because
// taking over a fast range wastes what its server already sent ahead and spares little time.
[[nodiscard]] std::optional<std::size_t> pick_steal_victim(const std::vector<Segment>& segments,
                                                           std::uint64_t min_bytes, SteadyTime now);

// Cuts the victim at the middle of what is left; returns the upper half as a pending segment.
[[nodiscard]] Segment split_segment(Segment& victim);

[[nodiscard]] bool all_done(const std::vector<Segment>& segments);
[[nodiscard]] std::uint64_t bytes_done(const std::vector<Segment>& segments);

}  // namespace dupipe::fetcher
