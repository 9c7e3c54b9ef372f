#include "top/rate_window.hpp"

#include <gtest/gtest.h>

namespace dupipe::top {
namespace {

using namespace std::chrono_literals;

// An aggregator that took `records_in` records by `at` (seconds into the run).
RunSample sample_at(std::chrono::milliseconds at, std::uint64_t records_in) {
  RunSample sample;
  sample.taken_at = std::chrono::steady_clock::time_point{} + at;
  StageSnapshot aggregator;
  aggregator.pid = 8;
  aggregator.role = "aggregator";
  aggregator.records_in = records_in;
  aggregator.is_alive = true;
  sample.stages = {aggregator};
  return sample;
}

double rate_of(const RateWindow& window) {
  return build_screen(window.newest(), window.base(), SortKey::kStart).rate;
}

TEST(RateWindow, HasNoBaseUntilTheSecondSample) {
  RateWindow window(2s);
  window.add(sample_at(0ms, 0));
  EXPECT_EQ(window.base(), nullptr);
  window.add(sample_at(500ms, 3));
  ASSERT_NE(window.base(), nullptr);
  EXPECT_EQ(window.base()->taken_at, sample_at(0ms, 0).taken_at);
}

TEST(RateWindow, RecordsFinishingInBurstsGiveASteadyRate) {
  // 16 records end together once a second, sampled every half second: step by step the rate
  // would read 32/s and 0/s in turn; over the 2 s window it is the true 16/s each time.
  RateWindow window(2s);
  const std::uint64_t in[] = {0, 16, 16, 32, 32, 48, 48, 64};
  for (int i = 0; i < 8; ++i) {
    window.add(sample_at(std::chrono::milliseconds(500 * i), in[i]));
    if (i >= 4) {
      EXPECT_DOUBLE_EQ(rate_of(window), 16.0) << "at " << 500 * i << " ms";
    }
  }
}

TEST(RateWindow, AnEarlyRedrawKeepsTheBaseAtLeastASpanOld) {
  // A key press redraws 10 ms after the last sample: the base must not move up to that sample.
  RateWindow window(2s);
  for (int i = 0; i <= 4; ++i) window.add(sample_at(std::chrono::milliseconds(500 * i), 8u * i));
  window.add(sample_at(2010ms, 32));
  ASSERT_NE(window.base(), nullptr);
  EXPECT_EQ(window.base()->taken_at, sample_at(0ms, 0).taken_at);
  EXPECT_NEAR(rate_of(window), 32 / 2.01, 1e-9);
  EXPECT_GT(build_screen(window.newest(), window.base(), SortKey::kStart).processes[0].rate_in,
            15.0);
}

TEST(RateWindow, ForgetsSamplesOlderThanTheBase) {
  RateWindow window(1s);
  for (int i = 0; i <= 20; ++i) window.add(sample_at(std::chrono::milliseconds(500 * i), 0));
  ASSERT_NE(window.base(), nullptr);
  EXPECT_EQ(window.base()->taken_at, sample_at(9000ms, 0).taken_at);
}

}  // namespace
}  // namespace dupipe::top
