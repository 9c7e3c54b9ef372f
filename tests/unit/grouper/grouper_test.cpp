// The size grouper's stage loop over in-memory outputs (which cannot be shrunk, so the static
// plan applies): every size group arrives whole on one output after its G record, links and
// counts on the first output, and the groups spread over the outputs by planned work.
#include "grouper/grouper.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/memory_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::grouper {
namespace {

std::string w(const std::string& path, std::uint64_t size, std::uint64_t inode) {
  return testing::formatted(DirectoryFileRecord{"id" + path, path, size, 1, inode, 7});
}

TEST(GrouperStage, WritesEachSizeGroupWholeToOneOutputAndTheCountsToTheFirst) {
  MemoryReader input({w("/a1", 5 << 20, 1), w("/b1", 3 << 20, 2), w("/a2", 5 << 20, 3),
                      w("/b2", 3 << 20, 4), w("/c1", 2 << 20, 5), w("/c2", 2 << 20, 6),
                      w("/lonely", 7, 7), w("/link", 5 << 20, 1),
                      "F\tid\t/x\tproducer\t/x: cannot open directory: Permission denied"});
  std::vector<MemoryWriter*> sinks;  // owned by the writers
  std::vector<std::unique_ptr<BatchingWriter>> writers;
  std::vector<BatchingWriter*> outputs;
  for (int i = 0; i < 2; ++i) {
    auto sink = std::make_unique<MemoryWriter>();
    sinks.push_back(sink.get());
    writers.push_back(std::make_unique<BatchingWriter>(std::move(sink), false));
    outputs.push_back(writers.back().get());
  }
  testing::CapturedLog log("grouper");
  const Counts counts = run(input, outputs, Config{}, log.logger());
  EXPECT_EQ(counts.received, 8u);
  EXPECT_EQ(counts.candidates, 6u);
  EXPECT_EQ(counts.passed_through, 1u);

  // Output 0: the F record, the L record, four counts, then its groups; output 1: groups only.
  const auto& first = sinks[0]->lines;
  ASSERT_GE(first.size(), 6u);
  EXPECT_TRUE(std::holds_alternative<FailureRecord>(testing::parsed(first[0])));
  EXPECT_EQ(std::get<LinkRecord>(testing::parsed(first[1])).target, "/a1");
  EXPECT_EQ(std::get<StatRecord>(testing::parsed(first[3])).name, "unique_size");
  std::map<std::uint64_t, std::size_t> output_of_size;
  for (std::size_t out = 0; out < 2; ++out) {
    const auto& lines = sinks[out]->lines;
    for (std::size_t i = out == 0 ? 6 : 0; i < lines.size(); i += 3) {
      const auto group = std::get<GroupRecord>(testing::parsed(lines[i]));
      EXPECT_EQ(group.files, 2u);
      ASSERT_LT(i + 2, lines.size());
      EXPECT_EQ(std::get<DirectoryFileRecord>(testing::parsed(lines[i + 1])).size, group.size);
      EXPECT_EQ(std::get<DirectoryFileRecord>(testing::parsed(lines[i + 2])).size, group.size);
      output_of_size[group.size] = out;
    }
  }
  // Planned work 10, 6 and 4 MiB (+ opens): 10 -> 0, 6 -> 1, 4 -> 1.
  EXPECT_EQ(output_of_size,
            (std::map<std::uint64_t, std::size_t>{{5 << 20, 0}, {3 << 20, 1}, {2 << 20, 1}}));
}

// The grouper is a barrier: what it derives from a W record (its group) is written only after the
// whole input, so that is when the W records are acknowledged.
TEST(GrouperStage, AcknowledgesTheFileRecordsOnlyOnceTheirGroupsAreWritten) {
  MemoryReader input({w("/a1", 5 << 20, 1), w("/a2", 5 << 20, 2)});
  std::vector<std::string> events;
  input.on_event = [&](const std::string& event) { events.push_back(event.substr(0, 3)); };
  auto sink = std::make_unique<MemoryWriter>();
  sink->on_event = [&](const std::string& event) { events.push_back(event.substr(0, 7)); };
  BatchingWriter output(std::move(sink), false);
  testing::CapturedLog log("grouper");
  (void)run(input, {&output}, Config{}, log.logger());
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2], "ack");
  EXPECT_EQ(events.back(), "ack");
  EXPECT_EQ(std::count(events.begin(), events.end(), "ack"), 2);
  EXPECT_EQ(std::count(events.begin(), events.end(), "write W"), 2) << "both files, before";
  EXPECT_EQ(input.outstanding(), 0u);
}

}  // namespace
}  // namespace dupipe::grouper
