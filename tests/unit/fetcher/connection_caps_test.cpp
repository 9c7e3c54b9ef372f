// How --segments, --per-host and --transfers bound one large file's connections (reconcile_caps).
#include "fetcher/connection_caps.hpp"

#include <gtest/gtest.h>

namespace dupipe::fetcher {
namespace {

DownloadOptions caps(int segments, int per_host, int transfers) {
  DownloadOptions options;
  options.segments = segments;
  options.per_host = per_host;
  options.transfers = transfers;
  return options;
}

TEST(ConnectionCaps, SegmentsAloneRaiseTheCapsTheUserDidNotGive) {
  DownloadOptions options = caps(16, 6, 8);  // --segments 16, the other two by default
  const auto notes = reconcile_caps(options, {.segments = true});
  EXPECT_EQ(options.per_host, 16);
  EXPECT_EQ(options.transfers, 16);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_FALSE(notes[0].is_warning);
  EXPECT_EQ(notes[0].text, "--per-host 6 raised to 16 for --segments 16");
  EXPECT_EQ(notes[1].text, "--transfers 8 raised to 16 for --segments 16");
}

TEST(ConnectionCaps, TheDefaultSegmentsAreNotCutByTheDefaultPerHostAndSayNothing) {
  DownloadOptions options;  // segments 8, per-host 6, transfers 8
  ASSERT_LT(options.per_host, options.segments) << "the defaults no longer meet: rewrite the test";
  EXPECT_TRUE(reconcile_caps(options, {}).empty());
  EXPECT_EQ(options.per_host, options.segments);
  EXPECT_EQ(options.transfers, 8);
}

TEST(ConnectionCaps, AGivenCapStaysAndTheRunSaysItBindsTheGivenSegments) {
  DownloadOptions options = caps(16, 4, 8);
  const auto notes = reconcile_caps(options, {.segments = true, .per_host = true});
  EXPECT_EQ(options.per_host, 4);
  EXPECT_EQ(options.transfers, 16);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_TRUE(notes[0].is_warning);
  EXPECT_EQ(notes[0].text,
            "--segments 16: a file is fetched over at most 4 connections (--per-host 4)");
  EXPECT_FALSE(notes[1].is_warning);
}

TEST(ConnectionCaps, AGivenCapBelowTheDefaultSegmentsIsTheUsersChoice) {
  DownloadOptions options = caps(8, 2, 8);
  EXPECT_TRUE(reconcile_caps(options, {.per_host = true}).empty());
  EXPECT_EQ(options.per_host, 2);
}

TEST(ConnectionCaps, APerHostAboveTheGivenTransfersIsNamed) {
  DownloadOptions options = caps(8, 16, 8);
  const auto notes = reconcile_caps(options, {.per_host = true, .transfers = true});
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_TRUE(notes[0].is_warning);
  EXPECT_EQ(notes[0].text,
            "--per-host 16: at most 8 connections to a host (--transfers 8 in this fetcher)");
}

TEST(ConnectionCaps, NothingToSayWhenTheCapsAllowTheSegments) {
  DownloadOptions options = caps(4, 6, 8);
  EXPECT_TRUE(
      reconcile_caps(options, {.segments = true, .per_host = true, .transfers = true}).empty());
  EXPECT_EQ(options.per_host, 6);
  EXPECT_EQ(options.transfers, 8);
}

}  // namespace
}  // namespace dupipe::fetcher
