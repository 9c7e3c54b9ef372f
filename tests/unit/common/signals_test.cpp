// The stop descriptor and the waits that poll it (common/os/signals, common/os/sys). The stop flag
// is process-global, so every case that raises a stop runs in a forked child. In the "blocked"
// cases the waiting thread blocks SIGTERM and a sibling thread takes the signal, so no EINTR can
// end the wait: only the stop descriptor can (before it existed, these waits never ended).
#include "common/os/signals.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "common/base/error.hpp"
#include "common/os/sys.hpp"
#include "common/transport/fd_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kStopBound = 5s;
constexpr int kInterruptedBySigterm = 7;
constexpr int kReturnedNormally = 2;

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

using testing::spawn_child;

// In the child: SIGTERM blocked in this thread, taken by a sibling that only waits; `wait` runs
// here. kInterruptedBySigterm if it threw Interrupted(SIGTERM), kReturnedNormally if it returned.
int wait_while_a_sibling_takes_the_signal(const std::function<void()>& wait) {
  install_stop_handlers();
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &term, nullptr);
  std::atomic<bool> is_done{false};
  std::thread sibling([&] {
    ::pthread_sigmask(SIG_UNBLOCK, &term, nullptr);
    const auto deadline = Clock::now() + kStopBound;
    while (!is_done && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  });
  int code = kReturnedNormally;
  try {
    wait();
  } catch (const Interrupted& e) {
    code = e.signal_number() == SIGTERM ? kInterruptedBySigterm : 1;
  }
  is_done = true;
  sibling.join();
  return code;
}

// Starts the child, lets it reach its wait, sends one SIGTERM; the child must end with `expected`
// well within a second of it.
void expect_one_sigterm_ends(const std::function<void()>& wait,
                             int expected = kInterruptedBySigterm) {
  const pid_t pid = spawn_child([&] { return wait_while_a_sibling_takes_the_signal(wait); });
  // Not a synchronisation: the signal may land before the wait starts, and must work then too.
  std::this_thread::sleep_for(50ms);
  const auto sent = Clock::now();
  ::kill(pid, SIGTERM);
  const int status = testing::wait_bounded(pid, kStopBound);
  EXPECT_EQ(exit_code(status), expected) << "status " << status;
  EXPECT_LT(Clock::now() - sent, 1s);
}

using testing::make_pipe;
using testing::Pipe;

bool is_readable(int fd) {
  pollfd ready{fd, POLLIN, 0};
  return ::poll(&ready, 1, 0) == 1;
}

TEST(StopSignals, TheStopDescriptorBecomesReadableOnlyOnAStopAndStaysSo) {
  const pid_t pid = spawn_child([] {
    install_stop_handlers();
    if (stop_fd() < 0 || is_readable(stop_fd()) || stop_signal() != 0) return 1;
    ::raise(SIGHUP);  // treated like SIGTERM: recorded, the process goes on
    if (!is_readable(stop_fd()) || stop_signal() != SIGHUP) return 2;
    if (!is_readable(stop_fd())) return 3;  // level-triggered: every waiter sees it
    return kInterruptedBySigterm;
  });
  EXPECT_EQ(exit_code(testing::wait_bounded(pid, kStopBound)), kInterruptedBySigterm);
}

TEST(StopSignals, ReadSomeOfAnEmptyPipeEndsOnASignalTakenByAnotherThread) {
  Pipe pipe = make_pipe();  // the write end stays open in the child: no end of file
  // Non-blocking, as every endpoint reopens a pipe (read_some's contract).
  const UniqueFd reader = sys::reopen_nonblocking(std::move(pipe.read_end));
  expect_one_sigterm_ends([&] {
    std::array<char, 16> buffer{};
    (void)sys::read_some(reader.get(), buffer, "pipe");
  });
}

TEST(StopSignals, WriteAllToAFullPipeEndsOnASignalTakenByAnotherThread) {
  Pipe pipe = make_pipe();
  // Non-blocking, as every endpoint reopens a pipe (write_all's contract, as read_some's).
  const UniqueFd writer = sys::reopen_nonblocking(std::move(pipe.write_end));
  ASSERT_GE(::fcntl(writer.get(), F_SETPIPE_SZ, 4096), 0);
  const std::string page(4096, 'x');
  ASSERT_TRUE(sys::write_all(writer.get(), page, "pipe"));  // full now; nobody reads
  expect_one_sigterm_ends([&] { (void)sys::write_all(writer.get(), "more\n", "pipe"); });
}

// A descriptor that stays blocking (a terminal, a socket) is polled before each write, so a
// full one still ends on the signal instead of sleeping in write(2).
TEST(StopSignals, AWriterOnAFullBlockingSocketEndsOnASignalTakenByAnotherThread) {
  std::array<int, 2> fds{};
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()), 0);
  const UniqueFd keep(fds[0]);  // never read
  FdLineWriter writer(UniqueFd(fds[1]), "socket", false);
  const std::string line(1000, 'x');
  // Fill it: a blocking socket accepts until its buffer is full, then would block.
  ASSERT_EQ(::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK), 0);
  while (::write(fds[1], line.data(), line.size()) > 0) {
  }
  ASSERT_EQ(::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) & ~O_NONBLOCK), 0);
  expect_one_sigterm_ends([&] { writer.write_line(line); });
}

TEST(StopSignals, TheLockWaitEndsOnASignalTakenByAnotherThread) {
  const testing::TempDir dir;
  testing::write_file(dir.file("lock"), "");
  auto holder = sys::open_file(dir.file("lock"), O_RDONLY);
  auto waiter = sys::open_file(dir.file("lock"), O_RDONLY);
  ASSERT_TRUE(holder && waiter);
  ASSERT_EQ(::flock(holder->get(), LOCK_EX), 0);  // held for the whole test, by this process
  expect_one_sigterm_ends([&] { (void)sys::ExclusiveLock::acquire(waiter->get(), "lock"); });
}

TEST(StopSignals, TheLockIsTakenSoonAfterItsHolderLetsGo) {
  const testing::TempDir dir;
  testing::write_file(dir.file("lock"), "");
  auto holder = sys::open_file(dir.file("lock"), O_RDONLY);
  auto waiter = sys::open_file(dir.file("lock"), O_RDONLY);
  ASSERT_TRUE(holder && waiter);
  ASSERT_EQ(::flock(holder->get(), LOCK_EX), 0);
  std::thread releaser([&] {
    std::this_thread::sleep_for(30ms);
    ::flock(holder->get(), LOCK_UN);
  });
  const auto start = Clock::now();
  ASSERT_TRUE(sys::ExclusiveLock::acquire(waiter->get(), "lock"));
  const auto waited = Clock::now() - start;
  releaser.join();
  EXPECT_GE(waited, 25ms);
  EXPECT_LT(waited, 30ms + 200ms) << "retries are at most 5 ms apart";
}

TEST(StopSignals, ASharedFifoReaderBlockedForDataEndsOnASignalTakenByAnotherThread) {
  Pipe pipe = make_pipe();
  UniqueFd keep_writer = std::move(pipe.write_end);
  FdLineReader reader(std::move(pipe.read_end), "pipe", true);
  expect_one_sigterm_ends([&] { (void)reader.read_line(); });
}

// A FIFO reader constructed after the last writer left (a fetcher that starts reading once the
// producer of a one-line list is done): Linux suppresses POLLHUP on a FIFO opened O_NONBLOCK
// without a writer, so a reader that polled before reading waited for ever. It must see the line
// that is left, then the end of stream, at once.
TEST(StopSignals, AFifoReaderReopenedAfterItsLastWriterLeftSeesTheEndOfStream) {
  for (const bool is_shared : {false, true}) {
    SCOPED_TRACE(is_shared ? "shared reader" : "sole reader");
    const testing::TempDir dir;
    const std::string path = dir.file("fifo");
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    const pid_t pid = spawn_child([&] {
      auto opened = sys::open_file(path, O_RDONLY | O_NONBLOCK);  // no writer yet: does not wait
      if (!opened) return 1;
      {
        auto writer = sys::open_file(path, O_WRONLY);
        if (!writer) return 1;
        if (!sys::write_all(writer->get(), "last\n", path)) return 2;
      }  // the last writer is gone before the reader's own reopen
      FdLineReader reader(std::move(*opened), path, is_shared);
      if (reader.read_line() != "last") return 3;
      return reader.read_line().has_value() ? 4 : kReturnedNormally;
    });
    EXPECT_EQ(exit_code(testing::wait_bounded(pid, kStopBound)), kReturnedNormally)
        << "killed after " << kStopBound.count() << " s";
  }
}

// A stage multiplexing its input waits in read_for: the stop must end that wait too.
TEST(StopSignals, ASharedFifoReaderWaitingWithATimeoutEndsOnASignalTakenByAnotherThread) {
  Pipe pipe = make_pipe();
  UniqueFd keep_writer = std::move(pipe.write_end);
  FdLineReader reader(std::move(pipe.read_end), "pipe", true);
  expect_one_sigterm_ends([&] { (void)reader.read_for(10s); });
}

TEST(StopSignals, SleepUnlessStoppedEndsEarlyOnAStop) {
  expect_one_sigterm_ends([] { sys::sleep_unless_stopped(10s); });
}

TEST(StopSignals, ReadyIoGoesAheadAfterAStopSoAStoppingStageCanWriteItsReport) {
  const pid_t pid = spawn_child([] {
    install_stop_handlers();
    ::raise(SIGTERM);
    Pipe pipe = make_pipe();
    if (!sys::write_all(pipe.write_end.get(), "report\n", "pipe"))
      return 1;  // room: no wait, no Interrupted
    const UniqueFd reader = sys::reopen_nonblocking(std::move(pipe.read_end));
    std::array<char, 16> buffer{};
    if (sys::read_some(reader.get(), buffer, "pipe") != std::size_t{7}) return 1;
    try {
      (void)sys::read_some(reader.get(), buffer, "pipe");  // empty: would wait
    } catch (const Interrupted&) {
      return kInterruptedBySigterm;
    }
    return kReturnedNormally;
  });
  EXPECT_EQ(exit_code(testing::wait_bounded(pid, kStopBound)), kInterruptedBySigterm);
}

TEST(StopSignals, ReopenNonblockingLeavesTheCallersDescriptionBlocking) {
  Pipe pipe = make_pipe();
  const UniqueFd original =
      value_or_fatal(sys::duplicate_fd(pipe.read_end.get(), "copy"));  // same description
  const UniqueFd reopened = sys::reopen_nonblocking(std::move(pipe.read_end));
  ASSERT_TRUE(reopened.is_open());
  EXPECT_NE(::fcntl(reopened.get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(::fcntl(original.get(), F_GETFL) & O_NONBLOCK, 0) << "shared description changed";
  ASSERT_TRUE(sys::write_all(pipe.write_end.get(), "x", "pipe"));
  std::array<char, 4> buffer{};
  EXPECT_EQ(::read(reopened.get(), buffer.data(), buffer.size()), 1) << "the same pipe";
  EXPECT_EQ(::read(reopened.get(), buffer.data(), buffer.size()), -1);
  EXPECT_EQ(errno, EAGAIN);

  const testing::TempDir dir;
  testing::write_file(dir.file("f"), "data");
  auto file = sys::open_file(dir.file("f"), O_RDONLY);
  ASSERT_TRUE(file.has_value());
  const int number = file->get();
  const UniqueFd same = sys::reopen_nonblocking(std::move(*file));
  EXPECT_EQ(same.get(), number) << "a regular file is returned as it is";
}

}  // namespace
}  // namespace dupipe
