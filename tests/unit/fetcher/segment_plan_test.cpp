// Splitting a body into ranges and taking over half of a slow one: the ranges always tile the
// file exactly, and nothing is stolen that is too small to be worth a new request.
#include "fetcher/segment_plan.hpp"

#include <gtest/gtest.h>

namespace dupipe::fetcher {
namespace {

void expect_tiles(const std::vector<Segment>& segments, std::uint64_t begin, std::uint64_t end) {
  std::uint64_t expected = begin;
  for (const Segment& s : segments) {
    EXPECT_EQ(s.begin, expected);
    EXPECT_LT(s.begin, s.end);
    expected = s.end;
  }
  EXPECT_EQ(expected, end);
}

TEST(SegmentPlan, SplitsIntoNearEqualRangesThatTileTheBody) {
  const auto segments = plan_segments(10, 1000010, 7, 1);
  ASSERT_EQ(segments.size(), 7U);
  expect_tiles(segments, 10, 1000010);
  for (const Segment& s : segments) {
    EXPECT_NEAR(static_cast<double>(s.end - s.begin), 1000000.0 / 7, 1.0);
    EXPECT_EQ(s.state, SegmentState::kPending);
  }
}

TEST(SegmentPlan, NeverMakesRangesSmallerThanTheMinimum) {
  const auto segments = plan_segments(0, 3000, 8, 1000);
  EXPECT_EQ(segments.size(), 3U);
  expect_tiles(segments, 0, 3000);
  EXPECT_EQ(plan_segments(0, 500, 8, 1000).size(), 1U);
  EXPECT_TRUE(plan_segments(5, 5, 8, 1).empty());
}

const SteadyTime kNow = std::chrono::steady_clock::now();

// Active since a second ago, having fetched `fetched` bytes up to `next` meanwhile.
Segment active(std::uint64_t begin, std::uint64_t next, std::uint64_t end, std::uint64_t fetched) {
  return Segment{begin,         next, end, SegmentState::kActive, kNow - std::chrono::seconds(1),
                 next - fetched};
}

TEST(SegmentPlan, StealsTheUpperHalfOfTheLargestActiveRemainder) {
  std::vector<Segment> segments = {
      active(0, 900, 1000, 100),
      active(1000, 1100, 5000, 100),
      {5000, 5000, 9000, SegmentState::kPending},
  };
  const auto victim = pick_steal_victim(segments, 100, kNow);
  ASSERT_EQ(victim, 1U);
  const Segment upper = split_segment(segments[1]);
  EXPECT_EQ(segments[1].end, 3050U);
  EXPECT_EQ(upper.begin, 3050U);
  EXPECT_EQ(upper.next, 3050U);
  EXPECT_EQ(upper.end, 5000U);
  EXPECT_EQ(upper.state, SegmentState::kPending);
}

TEST(SegmentPlan, StealsNothingTooSmall) {
  const std::vector<Segment> segments = {active(0, 900, 1000, 100),
                                         {1000, 1000, 9000, SegmentState::kDone}};
  EXPECT_FALSE(pick_steal_victim(segments, 100, kNow).has_value());
  EXPECT_EQ(pick_steal_victim(segments, 50, kNow), 0U);
}

// 8000 bytes left at 8000 B/s (1 s) against 3000 left at 100 B/s (30 s): the slow one is split,
// although the fast one has more bytes left. A range without its first byte, or started only
// just now, has no rate yet and is not taken over.
TEST(SegmentPlan, StealsFromTheRangeThatWouldFinishLast) {
  std::vector<Segment> segments = {active(0, 8000, 16000, 8000), active(16000, 17000, 20000, 100),
                                   active(20000, 20000, 90000, 0)};
  EXPECT_EQ(pick_steal_victim(segments, 100, kNow), 1U);
  segments[0].state = SegmentState::kDone;
  segments[1].state = SegmentState::kDone;
  EXPECT_FALSE(pick_steal_victim(segments, 100, kNow).has_value());
  segments.push_back(Segment{90000, 90010, 99000, SegmentState::kActive,
                             kNow - std::chrono::milliseconds(5), 90000});
  EXPECT_FALSE(pick_steal_victim(segments, 100, kNow).has_value());
  EXPECT_EQ(pick_steal_victim(segments, 100, kNow + std::chrono::seconds(1)), 3U);
}

TEST(SegmentPlan, CountsWrittenBytesAndCompletion) {
  std::vector<Segment> segments = {{0, 10, 10, SegmentState::kDone},
                                   {10, 15, 20, SegmentState::kActive}};
  EXPECT_EQ(bytes_done(segments), 15U);
  EXPECT_FALSE(all_done(segments));
  segments[1].next = 20;
  EXPECT_TRUE(all_done(segments));
}

}  // namespace
}  // namespace dupipe::fetcher
