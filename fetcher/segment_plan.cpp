#include "fetcher/segment_plan.hpp"

#include <algorithm>

namespace dupipe::fetcher {

std::vector<Segment> plan_segments(std::uint64_t begin, std::uint64_t end, std::uint64_t count,
                                   std::uint64_t min_bytes) {
  std::vector<Segment> segments;
  if (end <= begin) return segments;
  const std::uint64_t length = end - begin;
  const std::uint64_t by_size =
      min_bytes == 0 ? length : std::max<std::uint64_t>(1, length / min_bytes);
  const std::uint64_t pieces = std::clamp<std::uint64_t>(std::min(count, by_size), 1, length);
  for (std::uint64_t i = 0; i < pieces; ++i) {
    const std::uint64_t from = begin + length * i / pieces;
    const std::uint64_t to = begin + length * (i + 1) / pieces;
    segments.push_back(Segment{from, from, to, SegmentState::kPending});
  }
  return segments;
}

void activate(Segment& segment, SteadyTime now) {
  segment.state = SegmentState::kActive;
  segment.active_since = now;
  segment.active_from = segment.next;
}

namespace {

// A rate measured over less than this is noise (the first chunk, a connection still opening):
// such a range is not taken over, as its server may be sending much faster than it looks.
constexpr std::chrono::milliseconds kMinRateWindow{200};

// Seconds until the segment is done at its rate so far; nullopt without a usable rate yet.
std::optional<double> expected_seconds_left(const Segment& s, SteadyTime now) {
  const std::uint64_t done = s.next - std::min(s.active_from, s.next);
  if (done == 0 || now - s.active_since < kMinRateWindow) return std::nullopt;
  const double elapsed = std::chrono::duration<double>(now - s.active_since).count();
  return static_cast<double>(s.remaining()) * elapsed / static_cast<double>(done);
}

}  // namespace

std::optional<std::size_t> pick_steal_victim(const std::vector<Segment>& segments,
                                             std::uint64_t min_bytes, SteadyTime now) {
  std::optional<std::size_t> best;
  double best_seconds = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    if (s.state != SegmentState::kActive ||
        s.remaining() < 2 * std::max<std::uint64_t>(min_bytes, 1)) {
      continue;
    }
    const auto seconds = expected_seconds_left(s, now);
    if (!seconds) continue;
    if (!best || *seconds > best_seconds ||
        (*seconds == best_seconds && s.remaining() > segments[*best].remaining())) {
      best = i;
      best_seconds = *seconds;
    }
  }
  return best;
}

Segment split_segment(Segment& victim) {
  const std::uint64_t middle = victim.next + victim.remaining() / 2;
  Segment upper{middle, middle, victim.end, SegmentState::kPending};
  victim.end = middle;
  return upper;
}

bool all_done(const std::vector<Segment>& segments) {
  return std::all_of(segments.begin(), segments.end(),
                     [](const Segment& s) { return s.next == s.end; });
}

std::uint64_t bytes_done(const std::vector<Segment>& segments) {
  std::uint64_t total = 0;
  for (const Segment& s : segments) total += s.next - s.begin;
  return total;
}

}  // namespace dupipe::fetcher
