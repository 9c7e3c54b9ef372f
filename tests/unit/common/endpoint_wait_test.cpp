// The reader contract a stage multiplexing several descriptors relies on: read_for times out on
// an empty link and returns a line once one arrives (named FIFOs, byte-stream and packet mode),
// wait_fd() polls together with another descriptor, a sibling reader that took the data leaves
// read_for timing out instead of blocking, and the broker operations are harmless by default.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "common/os/sys.hpp"
#include "common/transport/endpoint.hpp"
#include "tests/support/memory_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// A named FIFO with a keeper descriptor open for reading and writing, so that opening either
// end never blocks and the link never reaches end of stream while the test runs.
class NamedFifo {
 public:
  NamedFifo() : path_(dir_.file("link")) {
    if (::mkfifo(path_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
    auto keeper = sys::open_file(path_, O_RDWR);
    if (!keeper) throw std::runtime_error(keeper.error().message);
    keeper_ = std::move(*keeper);
  }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  TempDir dir_;
  std::string path_;
  UniqueFd keeper_;
};

bool is_readable(int fd, int timeout_ms) {
  pollfd ready{fd, POLLIN, 0};
  return ::poll(&ready, 1, timeout_ms) == 1;
}

class ReadFor : public ::testing::TestWithParam<std::string> {};  // the writer's scheme

TEST_P(ReadFor, TimesOutWithNothingToReadAndReturnsALineWhenOneArrives) {
  const NamedFifo fifo;
  const auto reader = open_reader("fifo:" + fifo.path());
  const auto writer = open_writer(GetParam() + fifo.path());
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(reader->read_for(50ms).status, ReadStatus::kTimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - before, 50ms);
  EXPECT_EQ(reader->read_for(0ms).status, ReadStatus::kTimedOut);
  auto late = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(30ms);
    writer->write_line("late");
  });
  const ReadResult result = reader->read_for(5s);
  late.get();
  ASSERT_EQ(result.status, ReadStatus::kRecord);
  EXPECT_EQ(result.delivery.line, "late");
  EXPECT_NE(result.delivery.tag, DeliveryTag{});
}

TEST_P(ReadFor, ReturnsBufferedLinesWithoutWaitingAndEachWithItsOwnTag) {
  const NamedFifo fifo;
  const auto reader = open_reader("fifo:" + fifo.path());
  const auto writer = open_writer(GetParam() + fifo.path());
  writer->write_line("one");
  writer->write_line("two");
  const ReadResult one = reader->read_for(5s);
  const ReadResult two = reader->read_for(0ms);
  ASSERT_EQ(one.status, ReadStatus::kRecord);
  ASSERT_EQ(two.status, ReadStatus::kRecord);
  EXPECT_EQ(one.delivery.line, "one");
  EXPECT_EQ(two.delivery.line, "two");
  EXPECT_NE(one.delivery.tag, two.delivery.tag);
}

// A stage multiplexing its input with another descriptor (crawl mode: its own output's replies).
TEST_P(ReadFor, WaitFdPollsTogetherWithAnotherDescriptor) {
  const NamedFifo fifo;
  const auto reader = open_reader("fifo:" + fifo.path());
  const auto writer = open_writer(GetParam() + fifo.path());
  std::array<int, 2> other{};
  ASSERT_EQ(::pipe2(other.data(), O_CLOEXEC), 0);
  const UniqueFd other_read(other[0]), other_write(other[1]);
  ASSERT_TRUE(reader->wait_fd().has_value());
  ASSERT_EQ(reader->read_for(0ms).status, ReadStatus::kTimedOut);  // the contract's first step
  std::array<pollfd, 2> fds{{{*reader->wait_fd(), POLLIN, 0}, {other_read.get(), POLLIN, 0}}};
  EXPECT_EQ(::poll(fds.data(), fds.size(), 20), 0) << "nothing is readable yet";
  ASSERT_EQ(::write(other_write.get(), "x", 1), 1);
  ASSERT_EQ(::poll(fds.data(), fds.size(), 1000), 1);
  EXPECT_EQ(fds[0].revents, 0);
  EXPECT_NE(fds[1].revents & POLLIN, 0);
  writer->write_line("for the reader");
  ASSERT_EQ(::poll(fds.data(), fds.size(), 1000), 2);
  EXPECT_NE(fds[0].revents & POLLIN, 0);
  const ReadResult result = reader->read_for(0ms);
  ASSERT_EQ(result.status, ReadStatus::kRecord);
  EXPECT_EQ(result.delivery.line, "for the reader");
}

// Both readers are woken for one record; the one that loses the race must not block.
TEST_P(ReadFor, TimesOutWhenASiblingReaderTookTheRecord) {
  const NamedFifo fifo;
  const auto first = open_reader("fifo:" + fifo.path());
  const auto second = open_reader("fifo:" + fifo.path());
  const auto writer = open_writer(GetParam() + fifo.path());
  writer->write_line("only one");
  ASSERT_TRUE(is_readable(*second->wait_fd(), 1000));
  ASSERT_EQ(first->read_for(5s).status, ReadStatus::kRecord);
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(second->read_for(50ms).status, ReadStatus::kTimedOut);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
}

TEST_P(ReadFor, SeesTheEndOfTheStream) {
  const TempDir dir;
  const std::string path = dir.file("link");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto keeper = sys::open_file(path, O_RDONLY | O_NONBLOCK);  // lets the writer open
  ASSERT_TRUE(keeper.has_value());
  auto writer = open_writer(GetParam() + path);
  const auto reader = open_reader("fifo:" + path);
  writer->write_line("last");
  writer.reset();
  EXPECT_EQ(reader->read_for(5s).delivery.line, "last");
  EXPECT_EQ(reader->read_for(5s).status, ReadStatus::kEndOfStream);
  EXPECT_EQ(reader->read_for(0ms).status, ReadStatus::kEndOfStream) << "sticky";
}

INSTANTIATE_TEST_SUITE_P(EndpointWait, ReadFor, ::testing::Values("fifo:", "packet:"),
                         [](const auto& scheme) {
                           return scheme.param == "fifo:" ? "ByteStream" : "Packets";
                         });

// FIFOs and stdio forget a record once it is read: the broker operations must change nothing.
TEST(EndpointWait, ExtendLeaseRejectAndAcknowledgeAreHarmlessOnAFifo) {
  const NamedFifo fifo;
  const auto reader = open_reader("fifo:" + fifo.path());
  const auto writer = open_writer("fifo:" + fifo.path());
  writer->write_line("a");
  writer->write_line("b");
  const auto a = reader->read();
  ASSERT_TRUE(a.has_value());
  reader->extend_lease(a->tag);
  reader->reject(a->tag, 10ms);
  reader->acknowledge(a->tag);
  reader->acknowledge(DeliveryTag{999});
  EXPECT_EQ(reader->read()->line, "b") << "the rejected record is not redelivered";
  EXPECT_EQ(reader->max_in_flight(), SIZE_MAX);
}

TEST(EndpointWait, RejectByDefaultFinishesTheDeliveryLikeAnAcknowledgement) {
  MemoryReader reader({"x"});
  const auto x = reader.read();
  ASSERT_TRUE(x.has_value());
  reader.RecordReader::reject(x->tag, 0ms);  // the base class's default, not the fake's own
  EXPECT_EQ(reader.outstanding(), 0u);
  EXPECT_EQ(reader.acknowledged(), (std::vector<std::string>{"x"}));
}

TEST(EndpointWait, AWriterWithoutQueueControlSaysSo) {
  MemoryWriter writer;
  EXPECT_EQ(writer.queue_control(), nullptr);
}

}  // namespace
}  // namespace dupipe
