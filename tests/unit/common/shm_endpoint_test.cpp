#include "common/shm_endpoint.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "common/shm_queue.hpp"
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
    EXPECT_EQ(reader->read_line(), "first");
    reader->acknowledge();
    EXPECT_EQ(reader->read_line(), "second");
  }
  const auto orphans = ShmQueue::open(name_).orphaned_records();
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].bytes, "second");
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
