#include "common/observe/stage_stats.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/base/error.hpp"
#include "common/shm/shm_queue.hpp"
#include "common/transport/instrumented_endpoint.hpp"
#include "tests/support/memory_endpoint.hpp"

namespace dupipe {
namespace {

class StageStatsTest : public ::testing::Test {
 protected:
  ~StageStatsTest() override { (void)StatsArea::remove(name_); }
  std::string name_ = make_shm_name("stats");
};

TEST_F(StageStatsTest, CountsRecordsInAndOutAndShowsTheCurrentItem) {
  StatsArea::create(name_, 4, std::nullopt);
  StageStats stats(StatsArea::open(name_), "hasher");
  stats.record_in("P\tid\thttp://a/\t/x");
  stats.record_out("H\tid\thttp://a/\t/x\t3\tsha256\tabc");
  stats.record_out("F\tid2\thttp://b/\thasher\tgone");
  stats.set_activity(Activity::kReading);
  const auto stages = StatsArea::open(name_).snapshot();
  ASSERT_EQ(stages.size(), 1u);
  EXPECT_EQ(stages[0].role, "hasher");
  EXPECT_EQ(stages[0].pid, ::getpid());
  EXPECT_TRUE(stages[0].is_alive);
  EXPECT_EQ(stages[0].records_in, 1u);
  EXPECT_EQ(stages[0].records_out, 2u);
  EXPECT_EQ(stages[0].failures_out, 1u);
  EXPECT_EQ(stages[0].bytes_in, std::string("P\tid\thttp://a/\t/x\n").size());
  EXPECT_EQ(stages[0].current_item, "P\tid\thttp://a/\t/x");
  EXPECT_EQ(stages[0].activity, Activity::kReading);
}

TEST_F(StageStatsTest, PRecordsWrittenAddTheirFileSizesToThePayloadBytes) {
  StatsArea::create(name_, 1, std::nullopt);
  StageStats stats(StatsArea::open(name_), "fetcher");
  stats.record_out("P\tid\thttp://a/\t/x\t1000");
  stats.record_out("P\tid2\thttp://b/\t/y\t24\nF\tid3\thttp://c/\tfetcher\tHTTP 404");
  stats.record_out("H\tid\thttp://a/\t/x\t1000\tsha256\tabc");  // not a download
  EXPECT_EQ(StatsArea::open(name_).snapshot()[0].payload_bytes, 1024u);
}

TEST_F(StageStatsTest, ALongItemIsCutTo192Bytes) {
  StatsArea::create(name_, 1, std::nullopt);
  StageStats stats(StatsArea::open(name_), "fetcher");
  stats.record_in(std::string(1000, 'u'));
  EXPECT_EQ(StatsArea::open(name_).snapshot()[0].current_item, std::string(192, 'u'));
}

TEST_F(StageStatsTest, TheCurrentItemShowsNoPassword) {
  StatsArea::create(name_, 1, std::nullopt);
  StageStats stats(StatsArea::open(name_), "fetcher");
  stats.record_in("U\tid\thttp://user:secret@h/a");
  EXPECT_EQ(StatsArea::open(name_).snapshot()[0].current_item, "U\tid\thttp://user:***@h/a");
}

TEST_F(StageStatsTest, SlotsAreClaimedInOrderUntilTheAreaIsFull) {
  StatsArea::create(name_, 2, std::nullopt);
  StageStats first(StatsArea::open(name_), "producer");
  StageStats second(StatsArea::open(name_), "a-role-name-longer-than-the-slot-holds");
  EXPECT_THROW(StageStats(StatsArea::open(name_), "third"), FatalError);
  const auto stages = StatsArea::open(name_).snapshot();
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0].role, "producer");
  EXPECT_EQ(stages[1].role, "a-role-name-longer-than");  // 23 bytes and a NUL
}

TEST_F(StageStatsTest, FromEnvironmentIsNothingWithoutAnAreaAndAWarningForABrokenOne) {
  ::unsetenv(kStatsEnvironment);
  std::string problem;
  EXPECT_EQ(StageStats::from_environment("hasher", &problem), nullptr);
  EXPECT_TRUE(problem.empty());
  ::setenv(kStatsEnvironment, name_.c_str(), 1);
  EXPECT_EQ(StageStats::from_environment("hasher", &problem), nullptr);
  EXPECT_NE(problem.find(name_), std::string::npos) << problem;
  StatsArea::create(name_, 1, std::nullopt);
  EXPECT_NE(StageStats::from_environment("hasher", &problem), nullptr);
  ::unsetenv(kStatsEnvironment);
}

TEST_F(StageStatsTest, ASlotKeepsThePassTheLauncherNamedAndNoneForAnUnreadableOne) {
  StatsArea::create(name_, 3, std::nullopt);
  ::setenv(kStatsEnvironment, name_.c_str(), 1);
  std::string problem;
  ::setenv(kPassEnvironment, "2", 1);
  const auto second_pass = StageStats::from_environment("producer", &problem);
  ::setenv(kPassEnvironment, "2x", 1);
  const auto garbled = StageStats::from_environment("producer", &problem);
  ::unsetenv(kPassEnvironment);
  const auto unset = StageStats::from_environment("producer", &problem);
  ::unsetenv(kStatsEnvironment);
  const auto stages = StatsArea::open(name_).snapshot();
  ASSERT_EQ(stages.size(), 3u);
  EXPECT_EQ(stages[0].pass, 2u);
  EXPECT_EQ(stages[1].pass, 0u);
  EXPECT_EQ(stages[2].pass, 0u);
  EXPECT_TRUE(problem.empty()) << problem;
}

TEST_F(StageStatsTest, CreateRefusesAnExistingName) {
  StatsArea::create(name_, 1, std::nullopt);
  EXPECT_THROW(StatsArea::create(name_, 1, std::nullopt), FatalError);
}

TEST_F(StageStatsTest, InstrumentedEndpointsCountWhatPassesAndMarkTheEnd) {
  StatsArea::create(name_, 1, std::nullopt);
  StageStats stats(StatsArea::open(name_), "hasher");
  auto reader =
      instrument(std::make_unique<MemoryReader>(std::vector<std::string>{"a", "bb"}), &stats);
  auto sink = std::make_unique<MemoryWriter>();
  MemoryWriter& written = *sink;
  auto writer = instrument(std::move(sink), &stats);
  while (const auto line = reader->read_line()) writer->write_line(*line);
  const auto stage = StatsArea::open(name_).snapshot().at(0);
  EXPECT_EQ(stage.records_in, 2u);
  EXPECT_EQ(stage.records_out, 2u);
  EXPECT_EQ(stage.bytes_out, 5u);
  EXPECT_EQ(stage.activity, Activity::kDone);
  EXPECT_EQ(written.lines, (std::vector<std::string>{"a", "bb"}));
}

// What the counters show while a write blocks: the next stage may already be reading the batch.
class CounterWatchingWriter final : public RecordWriter {
 public:
  explicit CounterWatchingWriter(std::string area) : area_(std::move(area)) {}
  void write_line(std::string_view) override {
    out_during_writes.push_back(StatsArea::open(area_).snapshot().at(0).records_out);
  }
  [[nodiscard]] const std::string& name() const override { return area_; }
  std::vector<std::uint64_t> out_during_writes;

 private:
  std::string area_;
};

TEST_F(StageStatsTest, RecordsCountAsOutOnceTheWriteBeginsSoTheNextStageNeverShowsMoreIn) {
  StatsArea::create(name_, 1, std::nullopt);
  StageStats stats(StatsArea::open(name_), "hasher");
  auto sink = std::make_unique<CounterWatchingWriter>(name_);
  CounterWatchingWriter& watched = *sink;
  auto writer = instrument(std::move(sink), &stats);
  writer->write_line("H\ta\thttp://a/\t/a\t1\tsha256\tx\nH\tb\thttp://b/\t/b\t1\tsha256\tx");
  writer->write_line("H\tc\thttp://c/\t/c\t1\tsha256\tx");
  EXPECT_EQ(watched.out_during_writes, (std::vector<std::uint64_t>{2, 3}));
}

TEST(InstrumentedEndpoint, WithoutStatsTheEndpointIsReturnedAsItIs) {
  auto memory = std::make_unique<MemoryReader>(std::vector<std::string>{"x"});
  RecordReader* raw = memory.get();
  EXPECT_EQ(instrument(std::move(memory), nullptr).get(), raw);
}

}  // namespace
}  // namespace dupipe
