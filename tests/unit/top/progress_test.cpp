#include "top/progress.hpp"

#include <gtest/gtest.h>

#include "top/recorder.hpp"

namespace dupipe::top {
namespace {

using namespace std::chrono_literals;

StageSnapshot stage(std::string role, Activity activity, std::uint64_t in, std::uint64_t out,
                    std::uint64_t payload = 0) {
  StageSnapshot s;
  s.pid = 10;
  s.role = std::move(role);
  s.activity = activity;
  s.records_in = in;
  s.records_out = out;
  s.payload_bytes = payload;
  s.is_alive = true;
  return s;
}

RunSample at(std::chrono::steady_clock::time_point when, std::vector<StageSnapshot> stages) {
  RunSample s;
  s.taken_at = when;
  s.stages = std::move(stages);
  return s;
}

TEST(Progress, CountsDoneOfTotalBytesAndAnEtaOnceTheTotalIsKnown) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  const RunSample first = at(t0, {});
  const RunSample running = at(t0 + 10s, {stage("producer", Activity::kWriting, 100, 100),
                                          stage("fetcher", Activity::kWorking, 30, 30, 1024 * 1024),
                                          stage("fetcher", Activity::kWorking, 30, 30, 1024 * 1024),
                                          stage("aggregator", Activity::kReading, 50, 0)});
  Progress p = progress_of(running, first);
  EXPECT_EQ(p.done, 50u);
  EXPECT_EQ(p.total, 100u);
  EXPECT_FALSE(p.is_total_known);
  EXPECT_FALSE(p.eta_s.has_value());
  EXPECT_EQ(p.bytes, 2u * 1024 * 1024);
  EXPECT_EQ(progress_line(p, 200),
            "[##########..........] 50/100+ URLs  2.0 MiB  5.0 URLs/s  204.8 KiB/s  ETA ?");

  RunSample finished_input = running;
  finished_input.stages[0].activity = Activity::kDone;
  p = progress_of(finished_input, first);
  ASSERT_TRUE(p.eta_s.has_value());
  EXPECT_DOUBLE_EQ(*p.eta_s, 10.0);
  EXPECT_NE(progress_line(p, 200).find("50/100 URLs"), std::string::npos);
  EXPECT_NE(progress_line(p, 200).find("ETA 10 s"), std::string::npos);
  EXPECT_EQ(progress_line(p, 30).size(), 30u);
}

// --resume: what the earlier run accounted counts in done and total, not in this run's rate.
TEST(Progress, AResumedRunCountsWhatWasAccountedButNotInItsRate) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 100s;
  StageSnapshot producer = stage("producer", Activity::kDone, 0, 40);
  producer.pass = 1;
  StageSnapshot aggregator = stage("aggregator", Activity::kReading, 0, 0);
  aggregator.pass = 1;
  RunSample first = at(t0, {producer, aggregator});
  first.pass = PassMark{1, 60};
  RunSample now = first;
  now.taken_at = t0 + 10s;
  now.stages[1].records_in = 20;
  const Progress p = progress_of(now, first);
  EXPECT_EQ(p.done, 80u);
  EXPECT_EQ(p.total, 100u);
  EXPECT_DOUBLE_EQ(p.rate, 2.0);
  ASSERT_TRUE(p.eta_s.has_value());
  EXPECT_DOUBLE_EQ(*p.eta_s, 10.0);
  EXPECT_NE(progress_line(p, 200).find("80/100 URLs"), std::string::npos);
  EXPECT_NE(progress_line(p, 200).find("2.0 URLs/s"), std::string::npos);
}

TEST(Recorder, ATimelineLineIsOneJsonObjectWithEveryStageAndLink) {
  RunSample s = at({}, {stage("hasher", Activity::kWriting, 3, 2)});
  s.now_ns = 42;
  LinkSample link;
  link.name = "digests";
  link.queued_bytes = 10;
  s.links.push_back(link);
  const std::string line = timeline_json(s);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("\"t_ns\":42"), std::string::npos);
  EXPECT_NE(line.find("\"activity\":\"writing\""), std::string::npos);
  EXPECT_NE(line.find("\"capacity\":null"), std::string::npos);
  EXPECT_NE(line.find("\"queued\":10"), std::string::npos);
}

}  // namespace
}  // namespace dupipe::top
