// Line transport over descriptors (a pipe(2) in both reader modes, a regular temporary file) and
// the parsing of --in/--out endpoint strings. Everything written fits in the pipe buffer, so no
// test needs a second thread.
#include "common/transport/fd_endpoint.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/os/sys.hpp"
#include "common/protocol/record_codec.hpp"
#include "common/transport/endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe {
namespace {

using testing::TempDir;
using testing::write_file;

using testing::make_pipe;
using testing::Pipe;

std::vector<std::string> read_all(RecordReader& reader) {
  std::vector<std::string> lines;
  while (auto line = reader.read_line()) lines.push_back(std::move(*line));
  return lines;
}

const std::vector<std::string> kLines{"U\tid1\thttp://h/a", "", "F\ti\tu\tfetcher\tHTTP 404",
                                      std::string(kMaxRecordBytes - 1, 'x'), "last"};

class FdEndpointOverPipe : public ::testing::TestWithParam<bool> {};

TEST_P(FdEndpointOverPipe, RoundTripsLines) {
  Pipe pipe = make_pipe();
  {
    FdLineWriter writer(std::move(pipe.write_end), "pipe-out", false);
    for (const std::string& line : kLines) writer.write_line(line);
  }  // closing the only write end is the end of the stream
  FdLineReader reader(std::move(pipe.read_end), "pipe-in", GetParam());
  EXPECT_EQ(read_all(reader), kLines);
  EXPECT_EQ(reader.read_line(), std::nullopt) << "end of stream is sticky";
}

TEST_P(FdEndpointOverPipe, ReturnsAFinalLineWithoutNewline) {
  Pipe pipe = make_pipe();
  ASSERT_TRUE(sys::write_all(pipe.write_end.get(), "one\ntwo\r\nthree", "pipe"));
  pipe.write_end.reset();
  FdLineReader reader(std::move(pipe.read_end), "pipe-in", GetParam());
  EXPECT_EQ(read_all(reader), (std::vector<std::string>{"one", "two\r", "three"}));
}

TEST_P(FdEndpointOverPipe, GivesNulloptForAnEmptyStream) {
  Pipe pipe = make_pipe();
  pipe.write_end.reset();
  FdLineReader reader(std::move(pipe.read_end), "pipe-in", GetParam());
  EXPECT_EQ(reader.read_line(), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(FdEndpoint, FdEndpointOverPipe, ::testing::Bool(),
                         [](const auto& mode) { return mode.param ? "Shared" : "Exclusive"; });

TEST(FdEndpoint, RoundTripsLinesThroughARegularFile) {
  const TempDir dir;
  {
    auto fd = sys::open_file(dir.file("records"), O_WRONLY | O_CREAT | O_EXCL, 0600);
    ASSERT_TRUE(fd.has_value()) << fd.error().message;
    FdLineWriter writer(std::move(*fd), "records", false);
    for (const std::string& line : kLines) writer.write_line(line);
  }
  auto fd = sys::open_file(dir.file("records"), O_RDONLY);
  ASSERT_TRUE(fd.has_value()) << fd.error().message;
  FdLineReader reader(std::move(*fd), "records", false);
  EXPECT_EQ(read_all(reader), kLines);
}

TEST(FdEndpoint, ReadsManyLinesSpanningReadChunks) {
  const TempDir dir;
  std::vector<std::string> lines;
  std::string contents;
  for (int i = 0; i < 20000; ++i) {
    lines.push_back("line " + std::to_string(i) +
                    std::string(static_cast<std::size_t>(i % 37), '.'));
    contents += lines.back() + "\n";
  }
  write_file(dir.file("many"), contents);
  auto fd = sys::open_file(dir.file("many"), O_RDONLY);
  ASSERT_TRUE(fd.has_value());
  FdLineReader reader(std::move(*fd), "many", false);
  EXPECT_EQ(read_all(reader), lines);
}

TEST(FdEndpoint, RejectsALineLongerThanOneMebibyte) {
  const TempDir dir;
  write_file(dir.file("huge"), std::string(2U << 20, 'a'));
  auto fd = sys::open_file(dir.file("huge"), O_RDONLY);
  ASSERT_TRUE(fd.has_value());
  FdLineReader reader(std::move(*fd), "huge", false);
  try {
    (void)reader.read_line();
    FAIL() << "returned a 2 MiB line";
  } catch (const FatalError& e) {
    EXPECT_EQ(e.exit_code(), ExitCode::kProtocol);
    EXPECT_TRUE(std::string(e.what()).starts_with("huge: line longer than")) << e.what();
  }
}

TEST(FdEndpoint, WriterRejectsALineLongerThanTheRecordLimit) {
  Pipe pipe = make_pipe();
  FdLineWriter writer(std::move(pipe.write_end), "pipe-out", false);
  try {
    writer.write_line(std::string(kMaxRecordBytes, 'x'));  // plus newline: one byte too many
    FAIL() << "wrote an oversized record";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("pipe-out: record of 4097 bytes"), std::string::npos)
        << e.what();
  }
  writer.write_line(std::string(kMaxRecordBytes - 1, 'y'));  // exactly the limit is fine
}

TEST(FdEndpoint, WriterFailsWithEpipeWhenTheReaderIsGone) {
  Pipe pipe = make_pipe();
  pipe.read_end.reset();
  // SIGPIPE would kill the test binary; the stages ignore it the same way (install_stop_handlers).
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &previous), 0);
  FdLineWriter writer(std::move(pipe.write_end), "pipe-out", false);
  EXPECT_THROW(writer.write_line("x"), FatalError);
  ::sigaction(SIGPIPE, &previous, nullptr);
}

// The size grouper's demand-driven hand-out: a shrunk FIFO holds one packet, and the writer can
// wait until the reader has taken it; a regular file cannot be shrunk (and never waits).
TEST(FdEndpoint, AShrunkFifoHoldsOnePacketAndWaitingEndsWhenTheReaderTookIt) {
  Pipe pipe = make_pipe();
  // The writer reopens the pipe on a description of its own: watch the pipe through a copy.
  const UniqueFd probe = value_or_fatal(sys::duplicate_fd(pipe.write_end.get(), "probe"));
  const int read_fd = pipe.read_end.get(), write_fd = probe.get();
  FdLineWriter writer(std::move(pipe.write_end), "pipe-out", true);
  ASSERT_NE(writer.queue_control(), nullptr);
  QueueControl& queue = *writer.queue_control();
  ASSERT_TRUE(queue.shrink_queue(1));
  EXPECT_EQ(::fcntl(write_fd, F_GETPIPE_SZ), 4096);
  queue.wait_writable();  // empty: returns at once
  writer.write_line("a\tb");
  pollfd ready{write_fd, POLLOUT, 0};
  EXPECT_EQ(::poll(&ready, 1, 0), 0) << "one packet should fill the shrunk FIFO";
  std::array<char, 4096> buffer{};
  EXPECT_EQ(::read(read_fd, buffer.data(), buffer.size()), 4);
  queue.wait_writable();
  EXPECT_EQ(::poll(&ready, 1, 0), 1);

  const testing::TempDir dir;
  auto file = sys::open_file(dir.file("f"), O_WRONLY | O_CREAT, 0600);
  ASSERT_TRUE(file.has_value());
  FdLineWriter file_writer(std::move(*file), "file", false);
  EXPECT_FALSE(file_writer.queue_control()->shrink_queue(1));
  file_writer.queue_control()->wait_writable();
}

struct EndpointCase {
  std::string spec;
  EndpointKind kind;
  std::string target;
};

// Readable parameter values in test names and failure messages.
void PrintTo(const EndpointCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.spec); }

class EndpointParses : public ::testing::TestWithParam<EndpointCase> {};

TEST_P(EndpointParses, Spec) {
  const auto spec = parse_endpoint(GetParam().spec);
  ASSERT_TRUE(spec.has_value()) << spec.error().message;
  EXPECT_EQ(spec->kind, GetParam().kind);
  EXPECT_EQ(spec->target, GetParam().target);
}

INSTANTIATE_TEST_SUITE_P(
    FdEndpoint, EndpointParses,
    ::testing::Values(EndpointCase{"-", EndpointKind::kStdio, ""},
                      EndpointCase{"", EndpointKind::kStdio, ""},
                      EndpointCase{"fifo:x", EndpointKind::kFifo, "x"},
                      EndpointCase{"fifo:/run/d/in", EndpointKind::kFifo, "/run/d/in"},
                      EndpointCase{"packet:x", EndpointKind::kPacketFifo, "x"},
                      EndpointCase{"shm:x", EndpointKind::kShm, "x"},
                      EndpointCase{"records.txt", EndpointKind::kPath, "records.txt"},
                      EndpointCase{"/tmp/dir/file", EndpointKind::kPath, "/tmp/dir/file"},
                      EndpointCase{"./fifo:x", EndpointKind::kPath, "./fifo:x"},
                      EndpointCase{"--", EndpointKind::kPath, "--"}));

class EndpointRejects : public ::testing::TestWithParam<std::string> {};

TEST_P(EndpointRejects, SpecNamingNothing) {
  const auto spec = parse_endpoint(GetParam());
  ASSERT_FALSE(spec.has_value());
  EXPECT_NE(spec.error().message.find("names nothing"), std::string::npos) << spec.error().message;
}

INSTANTIATE_TEST_SUITE_P(FdEndpoint, EndpointRejects,
                         ::testing::Values("fifo:", "packet:", "shm:"));

TEST(FdEndpoint, OpenRefusesAnEmptyTarget) { EXPECT_THROW((void)open_writer("fifo:"), FatalError); }

TEST(FdEndpoint, OpenRefusesARegularFileAsAFifo) {
  const TempDir dir;
  write_file(dir.file("plain"), "");
  EXPECT_THROW((void)open_reader("fifo:" + dir.file("plain")), FatalError);
  EXPECT_THROW((void)open_writer("packet:" + dir.file("plain")), FatalError);
}

TEST(FdEndpoint, OpensPathEndpointsForWritingAndReading) {
  const TempDir dir;
  const std::string path = dir.file("records");
  {
    const auto writer = open_writer(path);
    write_record(*writer, UrlRecord{"id", "http://h/"});
    write_record(*writer, FailureRecord{"id2", "x", Stage::kProducer, "bad"});
  }
  const auto reader = open_reader(path);
  EXPECT_EQ(read_all(*reader),
            (std::vector<std::string>{"U\tid\thttp://h/", "F\tid2\tx\tproducer\tbad"}));
}

TEST(FdEndpoint, ReadsAndWritesThroughANamedFifo) {
  const TempDir dir;
  const std::string path = dir.file("fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // Holding a read-write descriptor lets both opens below complete without a second thread.
  auto keeper = sys::open_file(path, O_RDWR);
  ASSERT_TRUE(keeper.has_value());
  const auto reader = open_reader("fifo:" + path);
  {
    const auto writer = open_writer("packet:" + path);
    write_record(*writer, UrlRecord{"a", "http://h/a"});
    write_record(*writer, UrlRecord{"b", "http://h/b"});
  }
  keeper->reset();  // the last writer gone: the reader sees end of stream after the records
  EXPECT_EQ(read_all(*reader), (std::vector<std::string>{"U\ta\thttp://h/a", "U\tb\thttp://h/b"}));
}

TEST(FdEndpoint, WriteRecordThrowsForAnUnencodableRecord) {
  const TempDir dir;
  const auto writer = open_writer(dir.file("out"));
  EXPECT_THROW(write_record(*writer, UrlRecord{"id", std::string(kMaxRecordBytes, 'u')}),
               FatalError);
}

// A blocking socket (not a FIFO, so not reopened non-blocking): read_for must still give up at
// its deadline. Reading it first blocked in read(2); the reader polls such a descriptor first.
TEST(FdEndpoint, ReadForTimesOutOnAQuietBlockingSocket) {
  std::array<int, 2> ends{};
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends.data()), 0);
  UniqueFd ours(ends[0]);
  const UniqueFd peer(ends[1]);  // open and silent: no end of file
  const pid_t pid = testing::spawn_child([&] {
    FdLineReader reader(std::move(ours), "socket", false);
    return reader.read_for(std::chrono::milliseconds(50)).status == ReadStatus::kTimedOut ? 0 : 3;
  });
  const int status = testing::wait_bounded(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

// The crawl frontier's write: a full pipe takes nothing (no half record), says so, and its
// descriptor polls writable again once the reader has taken something.
TEST(FdEndpoint, TryWriteLeavesAFullPipeWhole) {
  Pipe pipe = make_pipe();
  ASSERT_GE(::fcntl(pipe.write_end.get(), F_SETPIPE_SZ, 4096), 0);
  FdLineWriter writer(std::move(pipe.write_end), "pipe-out", false);
  const std::string line(99, 'u');  // 100 bytes a record: 4096 is not a multiple of it
  std::size_t written = 0;
  while (writer.try_write_line(line)) {
    ++written;
    ASSERT_LT(written, 1000U) << "a 4096-byte pipe never filled";
  }
  EXPECT_EQ(written, 40U);
  ASSERT_TRUE(writer.wait_fd().has_value());
  pollfd room{*writer.wait_fd(), POLLOUT, 0};
  EXPECT_EQ(::poll(&room, 1, 0), 0) << "a full pipe polls writable";

  FdLineReader reader(std::move(pipe.read_end), "pipe-in", false);
  for (std::size_t i = 0; i < written; ++i) {
    const auto taken = reader.read_for(std::chrono::milliseconds(0));
    ASSERT_EQ(taken.status, ReadStatus::kRecord);
    ASSERT_EQ(taken.delivery.line, line) << "record " << i << " was cut";
  }
  EXPECT_EQ(::poll(&room, 1, 0), 1);
  EXPECT_TRUE(writer.try_write_line(line));
}

}  // namespace
}  // namespace dupipe
