// How one large body is cut into byte ranges fetched in parallel, and how an idle transfer takes
// over the second half of the largest range still being fetched (so one slow range cannot hold
// the file up at the end). Pure functions over segment tables; the Job owns the table.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace dupipe::fetcher {

enum class SegmentState { kPending, kActive, kDone };

// Bytes [begin, end) of the file; [begin, next) are written. next == end means complete.
struct Segment {
  std::uint64_t begin = 0;
  std::uint64_t next = 0;
  std::uint64_t end = 0;
  SegmentState state = SegmentState::kPending;
  [[nodiscard]] std::uint64_t remaining() const { return end - next; }
};

// Splits [begin, end) into at most `count` pending segments of near-equal size, none shorter
// than `min_bytes` (except a single segment for a short range).
[[nodiscard]] std::vector<Segment> plan_segments(std::uint64_t begin, std::uint64_t end,
                                                 std::uint64_t count, std::uint64_t min_bytes);

// The active segment with the most bytes left, if at least 2 * min_bytes are left in it.
[[nodiscard]] std::optional<std::size_t> pick_steal_victim(const std::vector<Segment>& segments,
                                                           std::uint64_t min_bytes);

// Cuts the victim at the middle of what is left; returns the upper half as a pending segment.
[[nodiscard]] Segment split_segment(Segment& victim);

[[nodiscard]] bool all_done(const std::vector<Segment>& segments);
[[nodiscard]] std::uint64_t bytes_done(const std::vector<Segment>& segments);

}  // namespace dupipe::fetcher
