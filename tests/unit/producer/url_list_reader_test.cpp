// The producer's URL list reader: lines of any bytes, the last line without a newline, and a
// line over the limit cut to its head while the lines after it still arrive intact.
#include "producer/url_list_reader.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/os/sys.hpp"
#include "common/protocol/url_intake.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::producer {
namespace {

using testing::TempDir;

std::vector<std::string> read_all(const std::string& contents, std::size_t max_line_bytes) {
  const TempDir dir;
  const std::string path = dir.file("urls.txt");
  testing::write_file(path, contents);
  auto fd = sys::open_file(path, O_RDONLY);
  if (!fd) throw std::runtime_error(fd.error().message);
  UrlListReader reader(std::move(*fd), path, max_line_bytes);
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < 100000; ++i) {  // bounded: no test has more lines
    auto line = reader.read_line();
    if (!line) return lines;
    lines.push_back(std::move(*line));
  }
  throw std::runtime_error("reader never ended");
}

TEST(UrlListReader, ReadsLinesWithAnyBytesAndALastLineWithoutNewline) {
  const std::string nul_line("a\0b", 3);
  const auto lines = read_all("x\r\n" + nul_line + "\n\n\xff\xfe\nlast", 100);
  EXPECT_EQ(lines, (std::vector<std::string>{"x\r", nul_line, "", "\xff\xfe", "last"}));
}

TEST(UrlListReader, CutsALineOverTheLimitAndKeepsTheNextOnes) {
  const auto lines = read_all("short\n" + std::string(50, 'a') + "\nnext\n", 10);
  EXPECT_EQ(lines, (std::vector<std::string>{"short", std::string(10, 'a'), "next"}));
}

TEST(UrlListReader, KeepsALineOfExactlyTheLimit) {
  const auto lines = read_all(std::string(10, 'b') + "\n" + std::string(11, 'c') + "\nz", 10);
  EXPECT_EQ(lines, (std::vector<std::string>{std::string(10, 'b'), std::string(10, 'c'), "z"}));
}

TEST(UrlListReader, CutsLinesSpanningManyReadChunks) {
  // 3 MiB lines against the real limit: far more than one 64 KiB read each.
  const std::string huge(3 * 1024 * 1024, 'h');
  const auto lines = read_all(huge + "\nmiddle\n" + huge, kMaxListLineBytes);
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[0], huge.substr(0, kMaxListLineBytes));
  EXPECT_EQ(lines[1], "middle");
  EXPECT_EQ(lines[2], huge.substr(0, kMaxListLineBytes));
}

TEST(UrlListReader, ReadsAnEmptyFileAsNoLines) { EXPECT_TRUE(read_all("", 10).empty()); }

TEST(UrlListReader, NamesAMissingFile) {
  try {
    (void)open_url_list("/nonexistent/urls.txt");
    FAIL() << "no error";
  } catch (const FatalError& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/urls.txt"), std::string::npos)
        << error.what();
  }
}

// A URL list on a pipe whose writer is still there but has sent nothing: read_for gives up at its
// deadline (the producer multiplexing its input must not block in read). A reader that took a
// failed wait for "ready" waited for ever; the child is killed after 5 s then.
TEST(UrlListReader, ReadForTimesOutOnAQuietPipe) {
  testing::Pipe pipe = testing::make_pipe();
  const pid_t pid = testing::spawn_child([&] {
    pipe.write_end.reset();  // the parent keeps its own copy open: no end of file
    UrlListReader reader(std::move(pipe.read_end), "pipe", 1024);
    const auto result = reader.read_for(std::chrono::milliseconds(50));
    return result.status == ReadStatus::kTimedOut ? 0 : 3;
  });
  const int status = testing::wait_bounded(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

}  // namespace
}  // namespace dupipe::producer
