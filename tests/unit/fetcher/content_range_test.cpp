// Content-Range, the unsatisfied-range form of a 416 and Retry-After: what a 206 or a 429 says
// is only believed when it parses completely and is self-consistent.
#include "fetcher/content_range.hpp"

#include <gtest/gtest.h>

namespace dupipe::fetcher {
namespace {

TEST(ContentRange, ParsesAWellFormedRange) {
  const auto range = parse_content_range(" bytes 100-199/1000\r\n");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->first, 100U);
  EXPECT_EQ(range->last, 199U);
  EXPECT_EQ(range->total, 1000U);
  EXPECT_EQ(range->length(), 100U);
}

TEST(ContentRange, AcceptsAnUnknownTotalAndAnyCaseOfTheUnit) {
  const auto range = parse_content_range("Bytes 0-0/*");
  ASSERT_TRUE(range.has_value());
  EXPECT_FALSE(range->total.has_value());
}

class ContentRangeRejects : public ::testing::TestWithParam<const char*> {};

TEST_P(ContentRangeRejects, AMalformedOrInconsistentValue) {
  EXPECT_FALSE(parse_content_range(GetParam()).has_value()) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(ContentRange, ContentRangeRejects,
                         ::testing::Values("", "bytes", "bytes 5-4/10", "bytes 0-10/10",
                                           "bytes 0-9", "items 0-9/10", "bytes -9/10",
                                           "bytes 0-9/ten", "bytes 0-9/10 extra", "bytes */10",
                                           "bytes 1-2,4-5/10", "bytes 0-99999999999999999999/1"));

TEST(ContentRange, ReadsTheLengthOfAnUnsatisfiedRange) {
  EXPECT_EQ(parse_unsatisfied_range("bytes */4096"), 4096U);
  EXPECT_EQ(parse_unsatisfied_range("bytes */0"), 0U);
  EXPECT_FALSE(parse_unsatisfied_range("bytes 0-1/2").has_value());
  EXPECT_FALSE(parse_unsatisfied_range("").has_value());
}

TEST(ContentRange, ReadsRetryAfterSecondsOnly) {
  EXPECT_EQ(parse_retry_after(" 120 "), 120U);
  EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
  EXPECT_FALSE(parse_retry_after("").has_value());
}

}  // namespace
}  // namespace dupipe::fetcher
