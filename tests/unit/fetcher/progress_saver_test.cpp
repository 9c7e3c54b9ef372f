// The control-file saver thread: a submitted snapshot lands on disk, only the newest of a file
// counts, and after forget() no control file can appear for that download any more.
#include "fetcher/progress_saver.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/os/sys.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::fetcher {
namespace {

ControlState state_with_progress(std::uint64_t next) {
  return ControlState{"http://h/f", 100, "\"e\"", "", {{0, next, 100, SegmentState::kActive}}};
}

UniqueFd open_data(const testing::TempDir& dir) {
  testing::write_file(dir.file("data"), std::string(100, 'd'));
  auto fd = sys::open_file(dir.file("data"), O_RDWR);
  EXPECT_TRUE(fd.has_value());
  return fd ? std::move(*fd) : UniqueFd{};
}

// Waits (bounded: 5 s) until the control file says `next` bytes of the range are written.
bool saved_with(const std::string& path, std::uint64_t next) {
  for (int i = 0; i < 500; ++i) {
    const auto state = load_control(path);
    if (state && state->segments.at(0).next == next) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(ProgressSaver, WritesTheNewestSnapshot) {
  const testing::TempDir dir;
  const testing::CapturedLog log;
  ProgressSaver saver(log.logger());
  saver.submit(dir.file("c.ctl"), open_data(dir), state_with_progress(10));
  saver.submit(dir.file("c.ctl"), open_data(dir), state_with_progress(60));
  EXPECT_TRUE(saved_with(dir.file("c.ctl"), 60));
  EXPECT_EQ(log.text(), "");
}

TEST(ProgressSaver, WritesNothingAfterForget) {
  const testing::TempDir dir;
  const testing::CapturedLog log;
  ProgressSaver saver(log.logger());
  for (int i = 0; i < 20; ++i) {
    saver.submit(dir.file("c.ctl"), open_data(dir),
                 state_with_progress(static_cast<std::uint64_t>(i)));
    saver.forget(dir.file("c.ctl"));
    std::filesystem::remove(dir.file("c.ctl"));
  }
  saver.stop();
  EXPECT_FALSE(std::filesystem::exists(dir.file("c.ctl")));
}

}  // namespace
}  // namespace dupipe::fetcher
