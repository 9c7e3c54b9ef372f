#include "common/observe/trace_spans.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/observe/trace_recorder.hpp"
#include "common/shm/shm_queue.hpp"
#include "common/transport/instrumented_endpoint.hpp"
#include "tests/support/memory_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe {
namespace {

constexpr std::uint64_t kQuick = 1'000;              // a read served from a buffer
constexpr std::uint64_t kSlow = kBlockedSpanNs * 4;  // a read that waited for a writer

std::vector<TraceSpan> only(const std::vector<TraceSpan>& spans, std::string_view category) {
  std::vector<TraceSpan> kept;
  for (const auto& s : spans) {
    if (s.category == category) kept.push_back(s);
  }
  return kept;
}

TEST(TraceSpans, RecordIdIsTheSecondFieldOfARecordAndEmptyForABareLine) {
  EXPECT_EQ(record_id("U\tabc\thttp://h/"), "abc");
  EXPECT_EQ(record_id("F\tid7"), "id7");
  EXPECT_EQ(record_id("http://h/a\tb"), "");
  EXPECT_EQ(record_id(""), "");
  EXPECT_EQ(record_id("u\tabc\t"), "");
}

TEST(TraceSpans, ASequentialStageHoldsEachRecordUntilItAsksForTheNext) {
  TraceSpans spans(RecordSpanEnd::kNextRead);
  std::vector<TraceSpan> out;
  const std::string first = "P\tid1\thttp://h/a\t/f/a\t3";
  const std::string second = "P\tid2\thttp://h/b\t/f/b\t4";
  spans.read(100, 100 + kQuick, &first, out);
  spans.wrote(5'000, 5'000 + kQuick, "H\tid1\t...", out);
  EXPECT_TRUE(out.empty());  // still working on id1 until the next read
  spans.read(9'000, 9'000 + kSlow, &second, out);
  spans.read(20'000'000, 20'000'000 + kQuick, nullptr, out);  // end of stream
  const auto records = only(out, "record");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].name, "P id1");
  EXPECT_EQ(records[0].begin_ns, 100 + kQuick);
  EXPECT_EQ(records[0].end_ns, 9'000u);
  EXPECT_EQ(records[0].item, first);
  EXPECT_EQ(records[1].begin_ns, 9'000 + kSlow);
  EXPECT_EQ(records[1].end_ns, 20'000'000u);
  EXPECT_EQ(records[0].track, kMainTrack);
  const auto blocked = only(out, "blocked");
  ASSERT_EQ(blocked.size(), 1u);  // the quick calls are not drawn
  EXPECT_EQ(blocked[0].name, "blocked on read");
  EXPECT_EQ(blocked[0].begin_ns, 9'000u);
  EXPECT_EQ(spans.open_count(), 0u);
}

TEST(TraceSpans, AConcurrentStageEndsARecordWhenItsOutputIsWrittenOnALaneOfItsOwn) {
  TraceSpans spans(RecordSpanEnd::kMatchingOutput);
  std::vector<TraceSpan> out;
  const std::string a = "U\tida\thttp://h/a";
  const std::string b = "U\tidb\thttp://h/b";
  spans.read(0, kQuick, &a, out);
  spans.read(2 * kQuick, 3 * kQuick, &b, out);
  spans.wrote(50'000, 50'000 + kSlow, "P\tidb\thttp://h/b\t/f/b\t9", out);
  ASSERT_EQ(only(out, "record").size(), 1u);
  EXPECT_EQ(only(out, "record")[0].name, "U idb");
  EXPECT_EQ(only(out, "record")[0].end_ns, 50'000 + kSlow);
  EXPECT_EQ(only(out, "blocked")[0].name, "blocked on write");
  const std::string c = "U\tidc\thttp://h/c";
  spans.read(400'000, 400'000 + kQuick, &c, out);  // reuses idb's free lane
  spans.finish(900'000, out);
  const auto records = only(out, "record");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].track, kFirstLaneTrack + 1);  // idb, while ida held the first lane
  EXPECT_EQ(records[1].name, "U idc");
  EXPECT_EQ(records[1].track, kFirstLaneTrack + 1);
  EXPECT_EQ(records[2].name, "U ida");
  EXPECT_EQ(records[2].track, kFirstLaneTrack);
  EXPECT_EQ(records[2].end_ns, 900'000u);
}

TEST(TraceSpans, ARecordReadBeforeALaneFreedUpTakesAnotherLane) {
  TraceSpans spans(RecordSpanEnd::kMatchingOutput);
  std::vector<TraceSpan> out;
  const std::string a = "U\tida\thttp://h/a", b = "U\tidb\thttp://h/b";
  spans.read(0, 10, &a, out);
  spans.wrote(90, 100, "P\tida\thttp://h/a\t/f/a\t1", out);  // lane 0 free from 100 on
  spans.read(80, 90, &b, out);  // read (on its thread) before that, recorded after it
  spans.finish(200, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].name, "U idb");
  EXPECT_EQ(out[1].track, kFirstLaneTrack + 1);
}

TEST(TraceSpans, APassedThroughFailureEndsItsOwnSpanNotTheUrlOfTheSameId) {
  TraceSpans spans(RecordSpanEnd::kMatchingOutput);
  std::vector<TraceSpan> out;
  const std::string url = "U\tid1\thttp://h/a";
  const std::string repeat = "F\tid1\thttp://h/a\tproducer\tline 3: repeat of line 1";
  spans.read(0, kQuick, &url, out);
  spans.read(kQuick, 2 * kQuick, &repeat, out);
  spans.wrote(3 * kQuick, 4 * kQuick, repeat, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "F id1");
  spans.wrote(9 * kQuick, 10 * kQuick, "P\tid1\thttp://h/a\t/f/a\t1", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].name, "U id1");
}

TEST(TraceSpans, ABatchOfRecordsEndsTheSpanOfEachAndUnknownIdsEndNothing) {
  TraceSpans spans(RecordSpanEnd::kMatchingOutput);
  std::vector<TraceSpan> out;
  const std::string a = "W\t1\t/a", b = "W\t2\t/b";
  spans.read(0, kQuick, &a, out);
  spans.read(0, kQuick, &b, out);
  spans.wrote(kQuick, 2 * kQuick, "S\t1\t/a\nS\t9\t/z\nS\t2\t/b", out);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(spans.open_count(), 0u);
}

TEST(TraceRecorder, EventsAreChromeTraceXObjectsInMicrosecondsWithHostileBytesReplaced) {
  const TraceSpan span{"U id", "record", 1'234'567, 2'234'568, kFirstLaneTrack, "U\tid\t\xff\"<"};
  const auto event = nlohmann::json::parse(trace_event_json(span, 4242));
  EXPECT_EQ(event["ph"], "X");
  EXPECT_EQ(event["pid"], 4242);
  EXPECT_EQ(event["tid"], trace_tid(4242, kFirstLaneTrack));
  EXPECT_DOUBLE_EQ(event["ts"].get<double>(), 1234.567);
  EXPECT_DOUBLE_EQ(event["dur"].get<double>(), 1000.001);
  EXPECT_EQ(event["args"]["item"], "U\tid\t\xef\xbf\xbd\"<");
}

TEST(TraceRecorder, TracksOfAProcessNeverTakeTheTidOfARealThreadOrOfAnotherProcess) {
  constexpr pid_t kPidMax = 4'194'304;
  EXPECT_EQ(trace_tid(77, kMainTrack), 77);
  EXPECT_GT(trace_tid(1, kInputTrack), kPidMax);
  EXPECT_LT(trace_tid(kPidMax, 1000), std::int64_t{1} << 31);
  EXPECT_LT(trace_tid(5, 1000), trace_tid(6, kInputTrack));  // lanes past 63 share the last
}

// Through the instrumented endpoints, as a stage runs it: one record span per record read, all in
// the stage's own file, which parses line by line.
TEST(TraceRecorder, AnInstrumentedStageWritesOneRecordSpanPerRecordToItsOwnFile) {
  const testing::TempDir dir;
  const std::string area = make_shm_name("trace");
  StatsArea::create(area, 1, std::nullopt);
  const testing::CapturedLog log;
  ::setenv(kTraceEnvironment, dir.path().c_str(), 1);
  {
    StageStats stats(StatsArea::open(area), "hasher");
    stats.attach_trace(TraceRecorder::from_environment("hasher", log.logger()));
    ASSERT_NE(stats.trace(), nullptr);
    auto input = instrument(std::make_unique<MemoryReader>(
                                std::vector<std::string>{"P\ta\tu\t/a\t1", "P\tb\tu\t/b\t2"}),
                            &stats);
    auto output = instrument(std::make_unique<MemoryWriter>(), &stats);
    while (auto line = input->read_line()) {
      line->front() = 'H';  // the record it became (the type is all a span end looks at here)
      output->write_line(*line);
    }
  }
  ::unsetenv(kTraceEnvironment);
  (void)StatsArea::remove(area);
  const auto files = dir.entries();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0], "hasher-" + std::to_string(::getpid()) + ".jsonl");
  std::istringstream lines(testing::read_file(dir.file(files[0])));
  std::map<std::string, int> count;
  for (std::string line; std::getline(lines, line);) {
    const auto event = nlohmann::json::parse(line);
    count[event["ph"].get<std::string>() + " " +
          event.value("cat", event["name"].get<std::string>())]++;
  }
  EXPECT_EQ(count["X record"], 2);
  EXPECT_EQ(count["M process_name"], 1);
  EXPECT_EQ(count["M thread_name"], 1);
  EXPECT_EQ(log.text(), "");
}

}  // namespace
}  // namespace dupipe
