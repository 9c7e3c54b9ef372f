#include "common/shm/shm_queue.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "common/base/error.hpp"
#include "common/os/signals.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe {
namespace {

using namespace std::chrono_literals;
namespace bip = boost::interprocess;

constexpr auto kWaitBound = 5s;  // every wait in these tests gives up after this

// Each test gets its own segment name, removed whatever happens.
class ShmQueueTest : public ::testing::Test {
 protected:
  ~ShmQueueTest() override { (void)ShmQueue::remove(name_); }

  ShmQueue create(std::size_t capacity_bytes = 8192, std::uint32_t writers = 1) {
    return ShmQueue::create(name_, {capacity_bytes, writers, 8, std::nullopt});
  }
  ShmQueueWriter writer() { return ShmQueueWriter(ShmQueue::open(name_)); }
  ShmQueueReader reader() { return ShmQueueReader(ShmQueue::open(name_)); }

  std::string name_ = make_shm_name("unit");
};

std::string expect_record(ShmQueueReader& reader) {
  Received received = reader.receive_for(kWaitBound);
  EXPECT_EQ(received.status, ReceiveStatus::kRecord);
  return received.record;
}

void expect_end(ShmQueueReader& reader) {
  EXPECT_EQ(reader.receive_for(kWaitBound).status, ReceiveStatus::kEndOfStream);
}

template <typename T>
std::string thrown_message(const std::function<T()>& action) {
  try {
    (void)action();
  } catch (const FatalError& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

// Forks a child that runs `body` and _exit()s with its result; unless told not to, reaps it
// (wait_bounded). Returns the child's pid and wait status.
std::pair<pid_t, int> run_child(const std::function<int()>& body, bool should_reap = true) {
  const pid_t pid = testing::spawn_child(body);
  return {pid, should_reap ? testing::wait_bounded(pid, kWaitBound) : -1};
}

// A child that attaches, then dies inside the critical section at `point` (via _exit, which
// the kernel treats like SIGKILL for the robust mutex: the owner is gone).
template <typename Role>
void die_at(const std::string& name, ShmFaultPoint point, const std::function<void(Role&)>& act) {
  const auto [pid, status] = run_child([&] {
    Role role(ShmQueue::open(name));
    role.queue().set_fault_hook_for_testing([point](ShmFaultPoint reached) {
      if (reached == point) ::_exit(42);
    });
    act(role);
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << "status " << status;
}

TEST_F(ShmQueueTest, DeliversRecordsInFifoOrder) {
  const ShmQueue queue = create(65536);
  const std::vector<std::string> records{"a", "", "bc", testing::all_byte_values(),
                                         std::string(kMaxShmRecordBytes, 'z')};
  {
    ShmQueueWriter out = writer();
    for (const auto& record : records) out.send(record);
  }
  ShmQueueReader in = reader();
  for (const auto& record : records) EXPECT_EQ(expect_record(in), record);
  expect_end(in);
}

TEST_F(ShmQueueTest, WrapsAroundTheRingWithRandomLengths) {
  const ShmQueue queue = create(8192);
  ShmQueueWriter out = writer();
  ShmQueueReader in = reader();
  std::mt19937 random(42);
  std::deque<std::string> expected;
  std::uint64_t bytes_sent = 0;
  for (int step = 0; step < 20000; ++step) {
    if (random() % 2 == 0) {
      std::string record(random() % (kMaxShmRecordBytes + 1), '\0');
      for (char& byte : record) byte = static_cast<char>(random());
      if (!out.send_for(record, 0ms)) {
        const auto stats = queue.stats();
        const std::uint64_t entry = 8 + (record.size() + 7) / 8 * 8;
        ASSERT_GT(stats.bytes_used + entry, stats.capacity_bytes) << "refused with room left";
        continue;
      }
      bytes_sent += record.size();
      expected.push_back(std::move(record));
    } else if (!expected.empty()) {
      ASSERT_EQ(expect_record(in), expected.front()) << "step " << step;
      expected.pop_front();
    }
  }
  while (!expected.empty()) {
    ASSERT_EQ(expect_record(in), expected.front());
    expected.pop_front();
  }
  EXPECT_GT(bytes_sent, 100u * 8192u);  // the ring wrapped many times
  EXPECT_EQ(queue.stats().bytes_used, 0u);
}

TEST_F(ShmQueueTest, FullQueueBlocksTheWriterUntilReadersMakeRoom) {
  const ShmQueue queue = create(8192);
  ShmQueueWriter out = writer();
  ShmQueueReader in = reader();
  const std::string record(1000, 'r');  // 1008 bytes in the ring: 8 fit in 8192
  int queued = 0;
  while (out.send_for(record, 0ms)) ++queued;
  ASSERT_EQ(queued, 8);
  const std::string last(1000, 'L');
  // Bounded even here, so that a lost wake-up fails the test instead of hanging it.
  auto blocked = std::async(std::launch::async, [&] { return out.send_for(last, kWaitBound); });
  EXPECT_EQ(blocked.wait_for(300ms), std::future_status::timeout) << "send did not block";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(expect_record(in), record);
  ASSERT_EQ(blocked.wait_for(kWaitBound), std::future_status::ready) << "send never unblocked";
  EXPECT_TRUE(blocked.get());
  for (int i = 5; i < queued; ++i) EXPECT_EQ(expect_record(in), record);
  EXPECT_EQ(expect_record(in), last);
}

TEST_F(ShmQueueTest, BlockedReaderWakesForARecordAndForEndOfStream) {
  const ShmQueue queue = create();
  ShmQueueWriter out = writer();
  ShmQueueReader in = reader();
  // receive_for(kWaitBound) sleeps like receive() but cannot hang the test if a wake-up is lost.
  auto first = std::async(std::launch::async, [&] { return in.receive_for(kWaitBound); });
  EXPECT_EQ(first.wait_for(100ms), std::future_status::timeout);
  out.send("hello");
  const auto start = std::chrono::steady_clock::now();
  const Received hello = first.get();
  EXPECT_EQ(hello.status, ReceiveStatus::kRecord);
  EXPECT_EQ(hello.record, "hello");
  EXPECT_LT(std::chrono::steady_clock::now() - start, kWaitBound / 2) << "woken by its timeout";
  auto second = std::async(std::launch::async, [&] { return in.receive_for(kWaitBound); });
  EXPECT_EQ(second.wait_for(100ms), std::future_status::timeout);
  out.close();
  EXPECT_EQ(second.get().status, ReceiveStatus::kEndOfStream);
}

TEST_F(ShmQueueTest, EndOfStreamWaitsForEveryExpectedWriter) {
  const ShmQueue queue = create(8192, 2);
  ShmQueueReader in = reader();
  {
    ShmQueueWriter early = writer();
    early.send("early");
  }
  EXPECT_EQ(expect_record(in), "early");
  // One writer finished, the other has not even started: no end of stream yet.
  EXPECT_EQ(in.receive_for(300ms).status, ReceiveStatus::kTimedOut);
  {
    ShmQueueWriter late = writer();
    late.send("late");
  }
  EXPECT_EQ(expect_record(in), "late");
  expect_end(in);
}

TEST_F(ShmQueueTest, EndOfStreamComesOnlyAfterTheQueueIsDrained) {
  const ShmQueue queue = create();
  {
    ShmQueueWriter out = writer();
    for (const char* record : {"1", "2", "3"}) out.send(record);
  }
  ShmQueueReader in = reader();
  for (const char* record : {"1", "2", "3"}) EXPECT_EQ(expect_record(in), record);
  expect_end(in);
  expect_end(in);  // and it stays there
}

TEST_F(ShmQueueTest, RejectsMoreWritersThanExpected) {
  const ShmQueue queue = create(8192, 1);
  const ShmQueueWriter first = writer();
  const std::string message = thrown_message<bool>([&] { return writer().send_for("x", 0ms); });
  EXPECT_NE(message.find(name_), std::string::npos) << message;
  EXPECT_NE(message.find("all 1 expected writers have already attached"), std::string::npos)
      << message;
}

TEST_F(ShmQueueTest, RecordAboveTheMaximumIsAClearError) {
  const ShmQueue queue = create(65536);
  ShmQueueWriter out = writer();
  const std::string message = thrown_message<bool>([&] {
    out.send(std::string(kMaxShmRecordBytes + 1, 'x'));
    return true;
  });
  EXPECT_NE(message.find(name_), std::string::npos) << message;
  EXPECT_NE(message.find("record of 4097 bytes exceeds the maximum of 4096 bytes"),
            std::string::npos)
      << message;
  out.send(std::string(kMaxShmRecordBytes, 'x'));  // the maximum itself is fine
  EXPECT_EQ(queue.stats().records_queued, 1u);
}

TEST_F(ShmQueueTest, CreateFailsWhenTheNameExists) {
  const ShmQueue queue = create();
  const std::string message = thrown_message<ShmQueue>([&] { return create(); });
  EXPECT_NE(message.find("shm segment " + name_ + ": create: File exists"), std::string::npos)
      << message;
  EXPECT_EQ(ShmQueue::open(name_).stats().capacity_bytes, 8192u);  // the first is untouched
}

TEST_F(ShmQueueTest, CreateMakesTheSegmentPrivateToItsOwner) {
  const ShmQueue queue = create();
  struct stat st {};
  ASSERT_EQ(::stat(("/dev/shm/" + name_).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ShmQueueTest, CreateRejectsAnUnusableCapacity) {
  const std::string message = thrown_message<ShmQueue>([&] { return create(4096); });
  EXPECT_NE(message.find("capacity of 4096 bytes is outside"), std::string::npos) << message;
  EXPECT_FALSE(ShmQueue::remove(name_));  // nothing was left behind
}

// Writes `bytes` into a fresh plain segment named name_ (not a queue).
void make_raw_segment(const std::string& name, const std::string& bytes) {
  bip::shared_memory_object shm(bip::create_only, name.c_str(), bip::read_write,
                                bip::permissions(0600));
  shm.truncate(static_cast<bip::offset_t>(bytes.size()));
  const bip::mapped_region region(shm, bip::read_write);
  std::memcpy(region.get_address(), bytes.data(), bytes.size());
}

TEST_F(ShmQueueTest, OpenRejectsASegmentThatIsNotAQueue) {
  make_raw_segment(name_, std::string(65536, 'x'));
  const std::string message = thrown_message<ShmQueue>([&] { return ShmQueue::open(name_); });
  EXPECT_EQ(message, "shm segment " + name_ + ": not a dupipe queue (bad magic number)");
}

TEST_F(ShmQueueTest, OpenRejectsASegmentSmallerThanTheHeader) {
  make_raw_segment(name_, std::string(100, 'x'));
  const std::string message = thrown_message<ShmQueue>([&] { return ShmQueue::open(name_); });
  EXPECT_NE(message.find("not a dupipe queue (100 bytes, smaller than the queue header)"),
            std::string::npos)
      << message;
}

TEST_F(ShmQueueTest, OpenRejectsAnotherFormatVersion) {
  const ShmQueue queue = create();
  {
    const bip::shared_memory_object shm(bip::open_only, name_.c_str(), bip::read_write);
    const bip::mapped_region region(shm, bip::read_write);
    const std::uint32_t version = 99;
    std::memcpy(static_cast<char*>(region.get_address()) + 8, &version, sizeof version);
  }
  const std::string message = thrown_message<ShmQueue>([&] { return ShmQueue::open(name_); });
  EXPECT_NE(message.find("queue format version 99, this build reads 4"), std::string::npos)
      << message;
}

TEST_F(ShmQueueTest, OpenOfAMissingSegmentNamesIt) {
  const std::string message = thrown_message<ShmQueue>([&] { return ShmQueue::open(name_); });
  EXPECT_EQ(message, "shm segment " + name_ + ": open: No such file or directory");
}

TEST_F(ShmQueueTest, StatsReportDepthCapacityAndPeers) {
  const ShmQueue queue = create(8192, 2);
  ShmQueueWriter out = writer();
  ShmQueueReader in = reader();
  out.send(std::string(10, 'a'));  // 8 + 16 bytes in the ring
  out.send(std::string(20, 'b'));  // 8 + 24
  auto stats = queue.stats();
  EXPECT_EQ(stats.records_queued, 2u);
  EXPECT_EQ(stats.bytes_used, 56u);
  EXPECT_EQ(stats.capacity_bytes, 8192u);
  EXPECT_EQ(stats.writers_expected, 2u);
  EXPECT_EQ(stats.writers_attached, 1u);
  EXPECT_EQ(stats.readers_attached, 1u);
  (void)expect_record(in);
  out.close();
  stats = queue.stats();
  EXPECT_EQ(stats.records_queued, 1u);
  EXPECT_EQ(stats.bytes_used, 32u);
  EXPECT_EQ(stats.records_sent, 2u);
  EXPECT_EQ(stats.records_taken, 1u);
  EXPECT_EQ(stats.writers_attached, 0u);
  EXPECT_EQ(stats.writers_finished, 1u);
  EXPECT_EQ(stats.repairs, 0u);
}

TEST_F(ShmQueueTest, RemoveUnlinksTheNameOnce) {
  { const ShmQueue queue = create(); }
  EXPECT_TRUE(ShmQueue::remove(name_));
  EXPECT_FALSE(ShmQueue::remove(name_));
  {
    const ShmQueue queue = create();
    const ShmNameRemover remover(name_);
  }
  EXPECT_FALSE(ShmQueue::remove(name_));
}

TEST_F(ShmQueueTest, ReaderDetachingWithoutAcknowledgingLeavesItsRecordListed) {
  ShmQueue queue = create();
  ShmQueueWriter out = writer();
  out.send("kept");
  out.send("acknowledged");
  {
    ShmQueueReader in = reader();
    EXPECT_EQ(expect_record(in), "kept");
  }
  {
    ShmQueueReader in = reader();
    EXPECT_EQ(expect_record(in), "acknowledged");
    in.acknowledge();
  }
  const auto orphans = queue.orphaned_records();
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].bytes, "kept");
  EXPECT_EQ(orphans[0].id, RingPosition{0});
  EXPECT_FALSE(orphans[0].is_reader_dead);
  EXPECT_EQ(orphans[0].reader_pid, ::getpid());
}

TEST_F(ShmQueueTest, WriterFailsWhenTheQueueIsFullAndEveryReaderHasGone) {
  const ShmQueue queue = create(8192);
  ShmQueueWriter out = writer();
  { const ShmQueueReader in = reader(); }
  const std::string record(1000, 'x');
  while (out.send_for(record, 0ms)) {
  }
  const std::string message =
      thrown_message<bool>([&] { return out.send_for(record, kWaitBound); });
  EXPECT_NE(message.find("queue full and every reader has gone"), std::string::npos) << message;
}

// In a child: the stop flag is process-global and must not leak into the other tests.
TEST_F(ShmQueueTest, StopSignalInterruptsABlockedReceive) {
  const ShmQueue queue = create();
  const ShmQueueWriter out = writer();  // attached, never sends: the reader would wait forever
  const auto [pid, ignored] = run_child(
      [&] {
        install_stop_handlers();
        ShmQueueReader in(ShmQueue::open(name_));
        try {
          (void)in.receive();
        } catch (const Interrupted& e) {
          return e.signal_number() == SIGTERM ? 7 : 1;
        }
        return 1;
      },
      false);
  // A signal before the reader sleeps is fine too: the flag is checked after every wait slice.
  const auto deadline = std::chrono::steady_clock::now() + kWaitBound;
  while (queue.stats().readers_attached == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ::kill(pid, SIGTERM);
  const int status = testing::wait_bounded(pid, kWaitBound);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7) << "status " << status;
}

// The fetcher reads on a thread of its own: the signal is often taken by another thread, and no
// EINTR ends the futex wait. The wait looks at the stop flag every 20 ms instead.
TEST_F(ShmQueueTest, StopSignalTakenByAnotherThreadEndsABlockedReceiveSoon) {
  const ShmQueue queue = create();
  const ShmQueueWriter out = writer();
  const auto [pid, ignored] = run_child(
      [&] {
        install_stop_handlers();
        sigset_t term;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        ::pthread_sigmask(SIG_BLOCK, &term, nullptr);
        std::atomic<bool> is_done{false};
        std::thread sibling([&] {
          ::pthread_sigmask(SIG_UNBLOCK, &term, nullptr);
          const auto deadline = std::chrono::steady_clock::now() + kWaitBound;
          while (!is_done && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
          }
        });
        ShmQueueReader in(ShmQueue::open(name_));
        int code = 1;
        try {
          (void)in.receive();
        } catch (const Interrupted& e) {
          code = e.signal_number() == SIGTERM ? 7 : 1;
        }
        is_done = true;
        sibling.join();
        return code;
      },
      false);
  const auto deadline = std::chrono::steady_clock::now() + kWaitBound;
  while (queue.stats().readers_attached == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  std::this_thread::sleep_for(50ms);  // let it sleep on the futex (a signal before is fine too)
  const auto sent = std::chrono::steady_clock::now();
  ::kill(pid, SIGTERM);
  const int status = testing::wait_bounded(pid, kWaitBound);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7) << "status " << status;
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 150ms) << "a 20 ms slice, not 200 ms";
}

// ----- Processes that die -------------------------------------------------------------------

TEST_F(ShmQueueTest, WriterKilledBeforeItsCommitLeavesNoHalfRecord) {
  ShmQueue queue = create(8192, 2);
  ShmQueueWriter out = writer();
  out.send("before");
  die_at<ShmQueueWriter>(name_, ShmFaultPoint::kWriterBeforeCommit,
                         [](ShmQueueWriter& w) { w.send(std::string(3000, 'h')); });
  EXPECT_EQ(queue.stats().records_queued, 1u);
  ShmQueueReader in = reader();
  EXPECT_EQ(expect_record(in), "before");  // this lock found the owner dead and repaired
  EXPECT_EQ(queue.stats().repairs, 1u);
  out.send("after");
  out.close();
  EXPECT_EQ(expect_record(in), "after");
  expect_end(in);  // the dead writer counts as finished
  const auto stats = queue.stats();
  EXPECT_EQ(stats.writers_dead, 1u);
  EXPECT_EQ(stats.records_sent, 2u);
  EXPECT_EQ(stats.records_taken, 2u);
}

TEST_F(ShmQueueTest, ReaderKilledBeforeItsCommitLeavesTheRecordQueued) {
  ShmQueue queue = create();
  {
    ShmQueueWriter out = writer();
    out.send("one");
    out.send("two");
  }
  die_at<ShmQueueReader>(name_, ShmFaultPoint::kReaderBeforeCommit,
                         [](ShmQueueReader& r) { (void)r.receive(); });
  ShmQueueReader in = reader();
  EXPECT_EQ(expect_record(in), "one");
  EXPECT_EQ(expect_record(in), "two");
  expect_end(in);
  EXPECT_TRUE(queue.orphaned_records().empty());
  EXPECT_EQ(queue.stats().repairs, 1u);
  EXPECT_EQ(queue.stats().records_taken, 2u);
}

TEST_F(ShmQueueTest, ReaderKilledAfterItsCommitHoldsTheRecordInFlight) {
  ShmQueue queue = create();
  {
    ShmQueueWriter out = writer();
    out.send("one");
    out.send("two");
  }
  die_at<ShmQueueReader>(name_, ShmFaultPoint::kReaderAfterCommit,
                         [](ShmQueueReader& r) { (void)r.receive(); });
  ShmQueueReader in = reader();
  EXPECT_EQ(expect_record(in), "two");
  expect_end(in);
  const auto orphans = queue.orphaned_records();
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].bytes, "one");
  EXPECT_TRUE(orphans[0].is_reader_dead);
  const auto stats = queue.stats();
  EXPECT_EQ(stats.repairs, 1u);
  EXPECT_EQ(stats.records_taken, 2u);
  EXPECT_EQ(stats.records_queued, 0u);
  EXPECT_EQ(stats.readers_dead, 1u);
}

TEST_F(ShmQueueTest, ReaderKilledHoldingARecordLeavesItListed) {
  ShmQueue queue = create();
  {
    ShmQueueWriter out = writer();
    out.send("held");
  }
  const auto [pid, status] = run_child([&]() -> int {
    ShmQueueReader in(ShmQueue::open(name_));
    ::_exit(in.receive() == std::optional<std::string>("held") ? 0 : 1);  // no acknowledge
  });
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const auto orphans = queue.orphaned_records();
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].bytes, "held");
  EXPECT_EQ(orphans[0].reader_pid, pid);
  EXPECT_TRUE(orphans[0].is_reader_dead);
  EXPECT_EQ(queue.stats().repairs, 0u);
}

// The launcher may not have reaped a dead stage yet: a zombie must count as dead.
// A supervisor restarting stages holds the queue open: no end of stream while its only writer is
// dead, the restarted writer takes the dead one's slot, and release() ends the stream.
TEST_F(ShmQueueTest, AHeldQueueOutlivesItsDeadWriterUntilReleased) {
  ShmQueue queue = ShmQueue::create(name_, {8192, 1, 8, std::nullopt, true});
  ShmQueueReader in = reader();
  const auto [pid, status] = run_child([&]() -> int {
    ShmQueueWriter out(ShmQueue::open(name_));
    out.send("before the crash");
    ::_exit(9);  // never closes
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(expect_record(in), "before the crash");
  EXPECT_EQ(in.receive_for(300ms).status, ReceiveStatus::kTimedOut);  // dead, but held
  ShmQueueWriter restarted = writer();
  restarted.send("after the restart");
  restarted.close();
  EXPECT_EQ(expect_record(in), "after the restart");
  EXPECT_EQ(in.receive_for(300ms).status, ReceiveStatus::kTimedOut);
  EXPECT_TRUE(queue.is_held_open());
  queue.release();
  EXPECT_FALSE(queue.is_held_open());
  expect_end(in);
}

// A writer killed after it closed (the producer sent everything, then died before it exited):
// its restart must still attach, to close once more. Found by integration.chaos.shm, where every
// restart of such a producer failed with "all 1 expected writers have already attached".
TEST_F(ShmQueueTest, AHeldQueueTakesTheRestartOfAWriterKilledAfterItFinished) {
  ShmQueue queue = ShmQueue::create(name_, {8192, 1, 8, std::nullopt, true});
  ShmQueueReader in = reader();
  const auto [pid, status] = run_child([&]() -> int {
    ShmQueueWriter out(ShmQueue::open(name_));
    out.send("everything");
    out.close();
    ::_exit(9);  // killed before it could exit
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(expect_record(in), "everything");
  EXPECT_EQ(in.receive_for(300ms).status, ReceiveStatus::kTimedOut);  // held: no end yet
  ShmQueueWriter restarted = writer();
  restarted.close();
  queue.release();
  expect_end(in);
}

TEST_F(ShmQueueTest, AHeldQueueRefusesASecondWriterWhileTheFinishedOneStillRuns) {
  const ShmQueue queue = ShmQueue::create(name_, {8192, 1, 8, std::nullopt, true});
  ShmQueueWriter first = writer();
  first.close();  // finished, but this process is alive: not a restart
  const std::string message = thrown_message<ShmQueueWriter>([&] { return writer(); });
  EXPECT_NE(message.find("expected writers have already attached"), std::string::npos) << message;
}

// A launcher killed by SIGKILL never releases its queues: the hold dies with its owner.
TEST_F(ShmQueueTest, TheHoldEndsWhenTheOwnerDies) {
  const auto [owner_pid, owner_status] = run_child([] { return 0; }, false);
  int reaped = 0;
  ASSERT_EQ(::waitpid(owner_pid, &reaped, 0), owner_pid);  // dead and gone: a stale owner
  ShmQueueOptions options{8192, 1, 8, ProcessIdentity{owner_pid, 1}, true};
  const ShmQueue queue = ShmQueue::create(name_, options);
  ShmQueueReader in = reader();
  ShmQueueWriter out = writer();
  out.send("last");
  out.close();
  EXPECT_EQ(expect_record(in), "last");
  expect_end(in);
}

TEST_F(ShmQueueTest, AWriterOfAHeldQueueWaitsForARestartedReader) {
  const ShmQueue queue = ShmQueue::create(name_, {8192, 1, 8, std::nullopt, true});
  ShmQueueWriter out = writer();
  { const ShmQueueReader gone = reader(); }
  const std::string record(1000, 'x');
  while (out.send_for(record, 0ms)) {
  }
  EXPECT_FALSE(out.send_for(record, 500ms));  // no failure: a reader may come back
  ShmQueueReader restarted = reader();
  EXPECT_EQ(expect_record(restarted), record);
  EXPECT_TRUE(out.send_for(record, kWaitBound));
}

TEST_F(ShmQueueTest, AnUnheldQueueRefusesAWriterBeyondTheExpectedEvenWhenOneDied) {
  const ShmQueue queue = create();
  const auto [pid, status] = run_child([&]() -> int {
    ShmQueueWriter out(ShmQueue::open(name_));
    ::_exit(0);
  });
  ASSERT_TRUE(WIFEXITED(status));
  const std::string message = thrown_message<ShmQueueWriter>([&] { return writer(); });
  EXPECT_NE(message.find("expected writers have already attached"), std::string::npos) << message;
}

TEST_F(ShmQueueTest, UnreapedDeadWriterCountsAsFinished) {
  const ShmQueue queue = create();
  ShmQueueReader in = reader();
  const auto [pid, status] = run_child(
      [&]() -> int {
        ShmQueueWriter out(ShmQueue::open(name_));
        out.send("last words");
        ::_exit(0);  // never closes
      },
      false);
  EXPECT_EQ(expect_record(in), "last words");
  expect_end(in);
  EXPECT_EQ(queue.stats().writers_dead, 1u);
  int reaped_status = 0;
  EXPECT_EQ(::waitpid(pid, &reaped_status, 0), pid);
}

}  // namespace
}  // namespace dupipe

namespace dupipe {
namespace {

std::vector<std::string> copied(std::span<const std::string_view> batch) {
  return {batch.begin(), batch.end()};
}

TEST_F(ShmQueueTest, SendBatchAndReceiveBatchKeepTheOrder) {
  ShmQueue queue = create();
  {
    ShmQueueWriter out = writer();
    const std::vector<std::string_view> records{"a", "bb", "", "dddd"};
    out.send_batch(records);
    out.send("e");
  }
  ShmQueueReader in = reader();
  EXPECT_EQ(copied(in.receive_batch(3)), (std::vector<std::string>{"a", "bb", ""}));
  EXPECT_EQ(copied(in.receive_batch(10)), (std::vector<std::string>{"dddd", "e"}));
  EXPECT_TRUE(in.receive_batch(10).empty());
  EXPECT_EQ(queue.stats().records_taken, 5u);
}

TEST_F(ShmQueueTest, ABatchLargerThanTheRingIsSentInParts) {
  (void)create(8192);
  const std::string record(1000, 'r');
  const std::vector<std::string_view> records(20, record);  // 20 KB through an 8 KiB ring
  const auto [pid, status] = run_child(
      [&] {
        ShmQueueWriter(ShmQueue::open(name_)).send_batch(records);
        return 0;
      },
      false);
  ShmQueueReader in = reader();
  std::size_t received = 0;
  for (int takes = 0; takes < 100; ++takes) {
    const auto batch = in.receive_batch(64);
    if (batch.empty()) break;
    for (const std::string_view got : batch) EXPECT_EQ(got, record);
    received += batch.size();
  }
  EXPECT_EQ(received, records.size());
  EXPECT_TRUE(WIFEXITED(testing::wait_bounded(pid, kWaitBound)));
}

TEST_F(ShmQueueTest, ReceiveBatchTakesNoMoreThanTheHeldCellsHold) {
  (void)create(1 << 16);
  {
    ShmQueueWriter out = writer();
    const std::string record(2000, 'x');
    for (std::uint32_t i = 0; i < kHeldRecordsPerReader + 2; ++i) out.send(record);
  }
  ShmQueueReader in = reader();
  EXPECT_EQ(in.receive_batch(100).size(), kHeldRecordsPerReader);
  EXPECT_EQ(in.receive_batch(100).size(), 2u);
  EXPECT_TRUE(in.receive_batch(10).empty());
}

// The shm: endpoint's way: several records in flight, each acknowledged on its own.
TEST_F(ShmQueueTest, TakenRecordsStayHeldUntilEachIsAcknowledged) {
  ShmQueue queue = create();
  {
    ShmQueueWriter out = writer();
    for (const char* record : {"a", "b", "c"}) out.send(record);
  }
  {
    ShmQueueReader in = reader();
    const Received a = in.take_until(std::nullopt);
    const Received b = in.take_until(std::nullopt);
    const Received c = in.take_until(std::nullopt);
    ASSERT_EQ(c.record, "c");
    EXPECT_EQ(in.held_count(), 3u);
    in.acknowledge(b.id);
    EXPECT_EQ(in.held_count(), 2u);
    EXPECT_THROW(in.acknowledge(b.id), FatalError);
    EXPECT_EQ(in.take_until(std::nullopt).status, ReceiveStatus::kEndOfStream);
    (void)a;
  }
  const auto orphans = queue.orphaned_records();
  ASSERT_EQ(orphans.size(), 2u);
  EXPECT_EQ(orphans[0].bytes, "a");
  EXPECT_EQ(orphans[1].bytes, "c");
  EXPECT_LT(orphans[0].id, orphans[1].id);
}

// The fetcher acknowledges on its main thread while its input thread takes the next record.
TEST_F(ShmQueueTest, AcknowledgingOnAnotherThreadWhileTakingLosesNothing) {
  (void)create(1 << 16);
  constexpr int kRecords = 2000;
  auto produced = std::async(std::launch::async, [&] {
    ShmQueueWriter out = writer();
    for (int i = 0; i < kRecords; ++i) out.send(std::to_string(i));
  });
  ShmQueueReader in = reader();
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<RingPosition> to_acknowledge;
  bool is_done = false;
  std::thread acknowledger([&] {
    std::unique_lock lock(mutex);
    while (true) {
      changed.wait(lock, [&] { return !to_acknowledge.empty() || is_done; });
      if (to_acknowledge.empty()) return;
      const RingPosition id = to_acknowledge.front();
      to_acknowledge.pop_front();
      lock.unlock();
      in.acknowledge(id);
      lock.lock();
      changed.notify_all();
    }
  });
  int taken = 0;
  while (true) {
    {
      std::unique_lock lock(mutex);  // keep fewer in flight than the cells
      changed.wait(lock, [&] { return to_acknowledge.size() < kHeldRecordsPerReader / 2; });
    }
    if (in.held_count() >= kHeldRecordsPerReader) continue;
    const Received got = in.take_until(std::chrono::steady_clock::now() + kWaitBound);
    if (got.status != ReceiveStatus::kRecord) break;
    EXPECT_EQ(got.record, std::to_string(taken));
    ++taken;
    const std::lock_guard lock(mutex);
    to_acknowledge.push_back(got.id);
    changed.notify_all();
  }
  {
    const std::lock_guard lock(mutex);
    is_done = true;
    changed.notify_all();
  }
  acknowledger.join();
  produced.get();
  EXPECT_EQ(taken, kRecords);
  EXPECT_EQ(in.held_count(), 0u);
}

// A death while taking a second record: the first, already held, must stay listed whichever side
// of the commit the death fell on; the second is listed only if the head had moved past it.
TEST_F(ShmQueueTest, AReaderKilledTakingItsSecondRecordKeepsTheFirstListed) {
  for (const auto point : {ShmFaultPoint::kReaderBeforeCommit, ShmFaultPoint::kReaderAfterCommit}) {
    (void)ShmQueue::remove(name_);
    ShmQueue queue = create();
    {
      ShmQueueWriter out = writer();
      for (const char* record : {"first", "second"}) out.send(record);
    }
    const auto [pid, status] = run_child([&] {
      ShmQueueReader in(ShmQueue::open(name_));
      (void)in.take_until(std::nullopt);
      in.queue().set_fault_hook_for_testing([point](ShmFaultPoint reached) {
        if (reached == point) ::_exit(42);
      });
      (void)in.take_until(std::nullopt);
      return 0;
    });
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42) << status;
    ShmQueueReader in = reader();
    const bool is_committed = point == ShmFaultPoint::kReaderAfterCommit;
    if (!is_committed) {
      EXPECT_EQ(expect_record(in), "second");
    }
    expect_end(in);
    const auto orphans = queue.orphaned_records();
    ASSERT_EQ(orphans.size(), is_committed ? 2u : 1u);
    EXPECT_EQ(orphans[0].bytes, "first");
    if (is_committed) {
      EXPECT_EQ(orphans[1].bytes, "second");
    }
    EXPECT_EQ(queue.stats().records_taken, 2u);
    EXPECT_EQ(queue.stats().repairs, 1u);
  }
}

TEST_F(ShmQueueTest, AWholeUnacknowledgedBatchIsListedWithEachRecordsId) {
  ShmQueue queue = create();
  {
    ShmQueueWriter out = writer();
    const std::vector<std::string_view> records{"first", "second", "third"};
    out.send_batch(records);
  }
  {
    ShmQueueReader in = reader();
    EXPECT_EQ(in.receive_batch(2).size(), 2u);
  }
  const auto orphans = queue.orphaned_records();
  ASSERT_EQ(orphans.size(), 2u);
  EXPECT_EQ(orphans[0].bytes, "first");
  EXPECT_EQ(orphans[1].bytes, "second");
  EXPECT_EQ(orphans[0].id.value, 0u);
  EXPECT_EQ(orphans[1].id.value, 16u);  // 8-byte header + "first" padded to 8
}

TEST_F(ShmQueueTest, SendBatchRefusesATooLongRecordBeforeQueueingAny) {
  ShmQueue queue = create();
  ShmQueueWriter out = writer();
  const std::string too_long(kMaxShmRecordBytes + 1, 'x');
  const std::vector<std::string_view> records{"fine", too_long};
  EXPECT_THROW(out.send_batch(records), FatalError);
  EXPECT_EQ(queue.stats().records_sent, 0u);
}

TEST_F(ShmQueueTest, ReaderKilledAfterCommittingABatchHoldsAllOfIt) {
  ShmQueue queue = create();
  {
    ShmQueueWriter out = writer();
    const std::vector<std::string_view> records{"one", "two", "three"};
    out.send_batch(records);
  }
  die_at<ShmQueueReader>(name_, ShmFaultPoint::kReaderAfterCommit,
                         [](ShmQueueReader& r) { (void)r.receive_batch(2); });
  ShmQueueReader in = reader();
  EXPECT_EQ(expect_record(in), "three");
  expect_end(in);
  const auto orphans = queue.orphaned_records();
  ASSERT_EQ(orphans.size(), 2u);
  EXPECT_EQ(orphans[0].bytes, "one");
  EXPECT_EQ(orphans[1].bytes, "two");
  EXPECT_EQ(queue.stats().records_taken, 3u);
  EXPECT_EQ(queue.stats().repairs, 1u);
}

TEST_F(ShmQueueTest, WriterKilledBeforeCommittingABatchQueuesNoneOfIt) {
  ShmQueue queue = create();
  die_at<ShmQueueWriter>(name_, ShmFaultPoint::kWriterBeforeCommit, [](ShmQueueWriter& w) {
    const std::vector<std::string_view> records{"lost", "also lost"};
    w.send_batch(records);
  });
  ShmQueueReader in = reader();
  expect_end(in);
  EXPECT_EQ(queue.stats().records_sent, 0u);
  EXPECT_EQ(queue.stats().repairs, 1u);
}

}  // namespace
}  // namespace dupipe
