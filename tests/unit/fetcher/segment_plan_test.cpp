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

TEST(SegmentPlan, StealsTheUpperHalfOfTheLargestActiveRemainder) {
  std::vector<Segment> segments = {
      {0, 900, 1000, SegmentState::kActive},
      {1000, 1100, 5000, SegmentState::kActive},
      {5000, 5000, 9000, SegmentState::kPending},
  };
  const auto victim = pick_steal_victim(segments, 100);
  ASSERT_EQ(victim, 1U);
  const Segment upper = split_segment(segments[1]);
  EXPECT_EQ(segments[1].end, 3050U);
  EXPECT_EQ(upper.begin, 3050U);
  EXPECT_EQ(upper.next, 3050U);
  EXPECT_EQ(upper.end, 5000U);
  EXPECT_EQ(upper.state, SegmentState::kPending);
}

TEST(SegmentPlan, StealsNothingTooSmall) {
  const std::vector<Segment> segments = {{0, 900, 1000, SegmentState::kActive},
                                         {1000, 1000, 9000, SegmentState::kDone}};
  EXPECT_FALSE(pick_steal_victim(segments, 100).has_value());
  EXPECT_EQ(pick_steal_victim(segments, 50), 0U);
}

TEST(SegmentPlan, CountsWrittenBytesAndCompletion) {
  std::vector<Segment> segments = {{0, 10, 10, SegmentState::kDone}, {10, 15, 20, SegmentState::kActive}};
  EXPECT_EQ(bytes_done(segments), 15U);
  EXPECT_FALSE(all_done(segments));
  segments[1].next = 20;
  EXPECT_TRUE(all_done(segments));
}

}  // namespace
}  // namespace dupipe::fetcher
