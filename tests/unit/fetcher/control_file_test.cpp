// The resume control file: what is saved is read back exactly; anything cut short, inconsistent
// or foreign is refused, so a damaged control file can only cause a restart, never a wrong file.
#include "fetcher/control_file.hpp"

#include <gtest/gtest.h>

#include "tests/unit/test_support.hpp"

namespace dupipe::fetcher {
namespace {

ControlState sample() {
  return ControlState{"http://h/big.bin",
                      3000,
                      "\"abc-123\"",
                      "Tue, 01 Dec 2026 09:00:00 GMT",
                      {{0, 1000, 1000, SegmentState::kDone},
                       {1000, 1500, 2000, SegmentState::kActive},
                       {2000, 2000, 3000, SegmentState::kPending}}};
}

TEST(ControlFile, RoundTripsThroughTheFileSystem) {
  const testing::TempDir dir;
  ASSERT_TRUE(save_control(dir.file("c.ctl"), sample()).has_value());
  const auto loaded = load_control(dir.file("c.ctl"));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->url, "http://h/big.bin");
  EXPECT_EQ(loaded->length, 3000U);
  EXPECT_EQ(loaded->etag, "\"abc-123\"");
  EXPECT_EQ(loaded->last_modified, "Tue, 01 Dec 2026 09:00:00 GMT");
  ASSERT_EQ(loaded->segments.size(), 3U);
  EXPECT_EQ(loaded->segments[1].begin, 1000U);
  EXPECT_EQ(loaded->segments[1].next, 1500U);
  EXPECT_EQ(loaded->segments[1].end, 2000U);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"c.ctl"});  // no temporary file left
}

TEST(ControlFile, RefusesATruncatedFile) {
  const std::string text = format_control(sample());
  for (std::size_t cut = 0; cut < text.size(); ++cut) {
    EXPECT_FALSE(parse_control(text.substr(0, cut)).has_value()) << "cut at " << cut;
  }
}

TEST(ControlFile, RefusesSegmentsThatDoNotTileTheFile) {
  ControlState gap = sample();
  gap.segments[2].begin = 2100;
  EXPECT_FALSE(parse_control(format_control(gap)).has_value());
  ControlState short_file = sample();
  short_file.length = 2999;
  EXPECT_FALSE(parse_control(format_control(short_file)).has_value());
  ControlState beyond = sample();
  beyond.segments[1].next = 2500;
  EXPECT_FALSE(parse_control(format_control(beyond)).has_value());
}

TEST(ControlFile, RefusesForeignAndUnknownContent) {
  EXPECT_FALSE(parse_control("dupipe-control 2\nurl x\n").has_value());
  EXPECT_FALSE(parse_control(format_control(sample()) + "color blue\n").has_value());
  EXPECT_FALSE(load_control("/nonexistent/c.ctl").has_value());
}

}  // namespace
}  // namespace dupipe::fetcher
