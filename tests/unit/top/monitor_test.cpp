#include "top/monitor.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "common/os/process_liveness.hpp"
#include "common/shm/shm_queue.hpp"
#include "tests/unit/test_support.hpp"
#include "top/render.hpp"

namespace dupipe::top {
namespace {

using namespace std::chrono_literals;

StageSnapshot stage(pid_t pid, std::string role, Activity activity, std::uint64_t since_ns,
                    std::uint64_t in, std::uint64_t out) {
  StageSnapshot s;
  s.pid = pid;
  s.role = std::move(role);
  s.activity = activity;
  s.activity_since_ns = since_ns;
  s.records_in = in;
  s.records_out = out;
  s.is_alive = true;
  return s;
}

TEST(Monitor, ALongWaitInsideAnEndpointShowsAsBlocked) {
  const std::uint64_t now = 10'000'000'000;
  EXPECT_EQ(describe_state(stage(1, "hasher", Activity::kReading, now - 1'000'000, 0, 0), now),
            "reading");
  EXPECT_EQ(describe_state(stage(1, "hasher", Activity::kReading, now - 2'500'000'000, 0, 0), now),
            "blocked-on-read 2.5 s");
  EXPECT_EQ(describe_state(stage(1, "fetcher", Activity::kWriting, now - 300'000'000, 0, 0), now),
            "blocked-on-write 0.3 s");
  EXPECT_EQ(describe_state(stage(1, "fetcher", Activity::kWorking, 0, 0, 0), now), "working");
  StageSnapshot gone = stage(1, "fetcher", Activity::kWorking, 0, 0, 0);
  gone.is_alive = false;
  EXPECT_EQ(describe_state(gone, now), "exited");
}

TEST(Monitor, RatesTotalsAndEtaComeFromTwoSamples) {
  RunSample before;
  before.taken_at = std::chrono::steady_clock::time_point{} + 10s;
  before.stages = {stage(7, "producer", Activity::kDone, 0, 100, 100),
                   stage(8, "aggregator", Activity::kReading, 0, 20, 0)};
  RunSample now = before;
  now.taken_at = before.taken_at + 2s;
  now.stages[1].records_in = 60;
  const Screen screen = build_screen(now, &before, SortKey::kStart);
  EXPECT_EQ(screen.total, 100u);
  EXPECT_EQ(screen.done, 60u);
  EXPECT_DOUBLE_EQ(screen.rate, 20.0);
  ASSERT_TRUE(screen.eta_s.has_value());
  EXPECT_DOUBLE_EQ(*screen.eta_s, 2.0);
  ASSERT_EQ(screen.processes.size(), 2u);
  EXPECT_DOUBLE_EQ(screen.processes[1].rate_in, 20.0);
}

StageSnapshot of_pass(StageSnapshot s, std::uint32_t pass, bool is_alive) {
  s.pass = pass;
  s.is_alive = is_alive;
  return s;
}

// docs/LAB.md step 7: a fetcher dies holding 16 of 436 URLs; pass 2 re-feeds only those 16. The
// total must count each URL once (436, not the 452 both producers sent).
TEST(Monitor, AReFedUrlCountsOnceInTheTotalAndInTheDone) {
  RunSample pass2;
  pass2.pass = PassMark{2, 420};
  pass2.stages = {of_pass(stage(7, "producer", Activity::kDone, 0, 436, 436), 1, false),
                  of_pass(stage(8, "aggregator", Activity::kDone, 0, 420, 0), 1, false),
                  of_pass(stage(17, "producer", Activity::kDone, 0, 16, 16), 2, false),
                  of_pass(stage(18, "aggregator", Activity::kReading, 0, 10, 0), 2, true)};
  UrlCounts counts = count_urls(pass2);
  EXPECT_EQ(counts.total, 436u);
  EXPECT_EQ(counts.done, 430u);
  EXPECT_TRUE(counts.is_total_known);
  const Screen screen = build_screen(pass2, nullptr, SortKey::kStart);
  EXPECT_EQ(screen.total, 436u);
  EXPECT_EQ(screen.done, 430u);
  EXPECT_EQ(screen.pass, 2u);
  EXPECT_NE(render(screen, "/tmp/run", "start", 200)[0].find("pass 2  done 430 of 436 records"),
            std::string::npos);

  pass2.stages[2].activity = Activity::kWriting;  // this pass's producer still sending
  pass2.stages[2].is_alive = true;
  EXPECT_FALSE(count_urls(pass2).is_total_known);

  RunSample no_launcher = pass2;  // stages run by hand: no pass file, every slot counts
  no_launcher.pass.reset();
  counts = count_urls(no_launcher);
  EXPECT_EQ(counts.total, 452u);
  EXPECT_EQ(counts.done, 430u);
}

// dupipe-top without a run directory: the runs under TMPDIR whose launcher (the stats area's
// owner) is alive. A run whose launcher died, or whose area is gone, is not one.
TEST(Monitor, LiveRunsAreTheRunDirectoriesWhoseLauncherIsAlive) {
  const testing::TempDir tmp;
  const std::string live_area = make_shm_name("top-live"), dead_area = make_shm_name("top-dead");
  StatsArea::create(live_area, 1, self_identity());
  StatsArea::create(dead_area, 1, ProcessIdentity{0x7ffffff0, 1});  // above any pid_max
  const auto run = [&](const std::string& name, const std::string& area) {
    std::filesystem::create_directory(tmp.path() / name);
    std::ofstream(tmp.path() / name / "stats") << area << '\n';
  };
  run("dupipe-run.live", live_area);
  run("dupipe-run.dead", dead_area);
  run("dupipe-run.gone", make_shm_name("top-gone"));
  run("other.live", live_area);
  std::filesystem::create_directory(tmp.path() / "dupipe-run.empty");  // not started yet
  const auto runs = live_runs(tmp.path());
  (void)StatsArea::remove(live_area);
  (void)StatsArea::remove(dead_area);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0], tmp.path() / "dupipe-run.live");
}

TEST(Monitor, NoEtaWhileTheProducerIsStillReading) {
  RunSample now;
  now.stages = {stage(7, "producer", Activity::kReading, 0, 5, 5)};
  EXPECT_FALSE(build_screen(now, nullptr, SortKey::kStart).eta_s.has_value());
}

TEST(Monitor, SortsByRateOrRole) {
  RunSample before;
  before.stages = {stage(1, "hasher", Activity::kWorking, 0, 0, 0),
                   stage(2, "fetcher", Activity::kWorking, 0, 0, 0)};
  RunSample now = before;
  now.taken_at = before.taken_at + 1s;
  now.stages[1].records_in = 9;
  EXPECT_EQ(build_screen(now, &before, SortKey::kRate).processes[0].pid, 2);
  EXPECT_EQ(build_screen(now, &before, SortKey::kRole).processes[0].role, "fetcher");
  EXPECT_EQ(build_screen(now, &before, SortKey::kPid).processes[0].pid, 1);
}

TEST(Render, ShowsEveryProcessAndLinkWithinTheWidth) {
  Screen screen;
  screen.processes = {{42, "fetcher", "blocked-on-write 1.0 s", 3.5, 10, 9, 1, "U\tid\thttp://x/"}};
  LinkSample link{"paths", "shm", "dupipe-1-paths", 1000, 250, 2, ""};
  screen.links = {link};
  const auto lines = render(screen, "/tmp/dupipe-run.X", "start", 120);
  std::string text;
  for (const std::string& line : lines) {
    EXPECT_LE(line.size(), 120u);
    text += line + "\n";
  }
  EXPECT_NE(text.find("fetcher    blocked-on-write 1.0 s"), std::string::npos) << text;
  EXPECT_NE(text.find("U id http://x/"), std::string::npos) << text;  // TABs shown as spaces
  EXPECT_NE(text.find("[#####...............]  25% 250/1000 B, 2 records"), std::string::npos)
      << text;
}

TEST(Monitor, SamplingADirectoryWithoutARunSaysSo) {
  const RunSample sample = sample_run("/nonexistent-dupipe-run");
  EXPECT_TRUE(sample.stages.empty());
  EXPECT_NE(sample.problem.find("no live counters"), std::string::npos);
}

}  // namespace
}  // namespace dupipe::top
