// The producer's set of accepted URLs: a repeat names the first line, distinct URLs (also ones
// differing in one byte or only in case) never collide.
#include "producer/seen_urls.hpp"

#include <gtest/gtest.h>

#include <string>

namespace dupipe::producer {
namespace {

TEST(SeenUrls, RemembersTheFirstLineOfEachUrl) {
  SeenUrls seen;
  EXPECT_EQ(seen.first_line_of("http://h/a", 1), std::nullopt);
  EXPECT_EQ(seen.first_line_of("http://h/b", 2), std::nullopt);
  EXPECT_EQ(seen.first_line_of("http://h/a", 3), 1U);
  EXPECT_EQ(seen.first_line_of("http://h/a", 4), 1U);
  EXPECT_EQ(seen.first_line_of("http://h/b", 5), 2U);
  EXPECT_EQ(seen.size(), 2U);
}

TEST(SeenUrls, KeepsDistinctUrlsApart) {
  SeenUrls seen;
  for (std::uint64_t i = 0; i < 100000; ++i) {
    ASSERT_EQ(seen.first_line_of("http://h/" + std::to_string(i), i + 1), std::nullopt) << i;
  }
  EXPECT_EQ(seen.first_line_of("http://h/A", 1), std::nullopt);
  EXPECT_EQ(seen.first_line_of("http://h/a", 2), std::nullopt);
  EXPECT_EQ(seen.size(), 100002U);
}

}  // namespace
}  // namespace dupipe::producer
