#include "common/transport/shm_endpoint.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "common/base/error.hpp"
#include "common/shm/shm_queue.hpp"
#include "common/transport/endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe {
namespace {

class ShmEndpoint : public ::testing::Test {
 protected:
  ~ShmEndpoint() override { (void)ShmQueue::remove(name_); }
  void create(std::uint32_t writers = 1) {
    (void)ShmQueue::create(name_, {8192, writers, 8, std::nullopt});
  }
  [[nodiscard]] std::string spec() const { return "shm:" + name_; }

  std::string name_ = make_shm_name("endpoint");
};

TEST_F(ShmEndpoint, CarriesLinesThroughTheFactoryAndEndsWhenTheWriterCloses) {
  create();
  const auto reader = open_reader(spec());
  {
    const auto writer = open_writer(spec());
    writer->write_line("U\tid\thttp://a/");
    writer->write_line(testing::all_byte_values().substr(11));  // no newline needed: framed
    EXPECT_EQ(writer->name(), spec());
  }
  EXPECT_EQ(reader->read_line(), "U\tid\thttp://a/");
  EXPECT_EQ(reader->read_line(), testing::all_byte_values().substr(11));
  EXPECT_EQ(reader->read_line(), std::nullopt);
  EXPECT_EQ(reader->name(), spec());
}

TEST_F(ShmEndpoint, ARecordReadButNotAcknowledgedIsListedAsOrphanedAfterTheReaderGoes) {
  create();
  {
    const auto writer = open_writer(spec());
    writer->write_line("first");
    writer->write_line("second");
  }
  {
    const auto reader = open_reader(spec());
    const auto first = reader->read();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->line, "first");
    reader->acknowledge(first->tag);
    EXPECT_EQ(reader->read()->line, "second");
  }
  const auto orphans = ShmQueue::open(name_).orphaned_records();
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].bytes, "second");
}

// The fetcher holds one URL per transfer: reading the next record must not release the earlier.
TEST_F(ShmEndpoint, AReaderKilledWithTwoRecordsInFlightLeavesBothListed) {
  create();
  {
    const auto writer = open_writer(spec());
    for (const char* line : {"one", "two", "three"}) writer->write_line(line);
  }
  const pid_t child = ::fork();
  if (child == 0) {
    const auto reader = open_reader(spec());
    const auto one = reader->read();
    const auto two = reader->read();
    const auto three = reader->read();
    reader->acknowledge(two->tag);  // out of order: "one" and "three" stay in flight
    ::kill(::getpid(), SIGKILL);
  }
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  const auto orphans = ShmQueue::open(name_).orphaned_records();
  ASSERT_EQ(orphans.size(), 2u);
  EXPECT_EQ(orphans[0].bytes, "one");
  EXPECT_EQ(orphans[1].bytes, "three");
  EXPECT_TRUE(orphans[0].is_reader_dead);
}

TEST_F(ShmEndpoint, ReadForTimesOutWhenEmptyAndReturnsALineOnceOneArrives) {
  create();
  const auto reader = open_reader(spec());
  const auto writer = open_writer(spec());
  EXPECT_FALSE(reader->wait_fd().has_value()) << "a futex cannot be polled";
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(reader->read_for(std::chrono::milliseconds(60)).status, ReadStatus::kTimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(60));
  EXPECT_EQ(reader->read_for(std::chrono::milliseconds(0)).status, ReadStatus::kTimedOut);
  auto late = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    writer->write_line("late");
  });
  const ReadResult result = reader->read_for(std::chrono::seconds(5));
  late.get();
  ASSERT_EQ(result.status, ReadStatus::kRecord);
  EXPECT_EQ(result.delivery.line, "late");
  reader->acknowledge(result.delivery.tag);
}

TEST_F(ShmEndpoint, ReadForSeesTheEndOfTheStream) {
  create();
  const auto reader = open_reader(spec());
  { const auto writer = open_writer(spec()); }
  EXPECT_EQ(reader->read_for(std::chrono::seconds(5)).status, ReadStatus::kEndOfStream);
}

TEST_F(ShmEndpoint, RefusesToHoldMoreThanItsBoundAndAcceptsAgainOnceOneIsAcknowledged) {
  (void)ShmQueue::create(name_, {1 << 16, 1, 8, std::nullopt});
  const auto reader = open_reader(spec());
  const auto writer = open_writer(spec());
  ASSERT_EQ(reader->max_in_flight(), kHeldRecordsPerReader);
  for (std::uint32_t i = 0; i <= kHeldRecordsPerReader; ++i) writer->write_line(std::to_string(i));
  std::vector<DeliveryTag> tags;
  for (std::uint32_t i = 0; i < kHeldRecordsPerReader; ++i) tags.push_back(reader->read()->tag);
  EXPECT_THROW((void)reader->read(), FatalError);
  reader->acknowledge(tags[3]);
  EXPECT_EQ(reader->read()->line, std::to_string(kHeldRecordsPerReader));
}

TEST_F(ShmEndpoint, AcknowledgingATagTwiceOrATagItNeverGaveIsAnError) {
  create();
  const auto reader = open_reader(spec());
  { open_writer(spec())->write_line("only"); }
  const auto delivery = reader->read();
  reader->acknowledge(delivery->tag);
  EXPECT_THROW(reader->acknowledge(delivery->tag), FatalError);
  EXPECT_THROW(reader->acknowledge(DeliveryTag{12345}), FatalError);
}

// A broker's operations have no meaning here: extending is nothing, rejecting is finishing.
TEST_F(ShmEndpoint, ExtendLeaseDoesNothingAndRejectReleasesTheRecord) {
  create();
  {
    const auto reader = open_reader(spec());
    { open_writer(spec())->write_line("kept"); }
    const auto delivery = reader->read();
    reader->extend_lease(delivery->tag);
    reader->reject(delivery->tag, std::chrono::milliseconds(100));
    EXPECT_EQ(reader->read(), std::nullopt);
  }
  EXPECT_TRUE(ShmQueue::open(name_).orphaned_records().empty());
}

TEST_F(ShmEndpoint, OpeningAMissingQueueNamesIt) {
  try {
    (void)open_reader(spec());
    FAIL() << "opened a missing queue";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find(name_), std::string::npos) << e.what();
  }
}

TEST_F(ShmEndpoint, RefusesARecordAboveTheMaximumWithAClearError) {
  create();
  const auto writer = open_writer(spec());
  try {
    writer->write_line(std::string(kMaxShmRecordBytes + 1, 'x'));
    FAIL() << "sent an oversized record";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds the maximum of 4096 bytes"), std::string::npos)
        << e.what();
  }
}

TEST_F(ShmEndpoint, RecordsTheOwnerGivenAtCreation) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  ASSERT_GT(child, 0);
  const auto owner = process_identity(child);
  ASSERT_TRUE(owner.has_value());
  (void)ShmQueue::create(name_, {8192, 1, 8, owner});
  EXPECT_EQ(ShmQueue::open(name_).owner().pid, child);
  EXPECT_EQ(ShmQueue::open(name_).owner().start_ticks, owner->start_ticks);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(is_alive(ShmQueue::open(name_).owner()));
}

}  // namespace
}  // namespace dupipe
