// BatchingWriter: whole records joined into writes of at most kMaxRecordBytes, flushed early by
// the work they carry, passed through one by one when disabled; which endpoints get batches.
#include "common/transport/batching_writer.hpp"

#include <gtest/gtest.h>

#include "common/protocol/record_codec.hpp"
#include "tests/support/memory_endpoint.hpp"

namespace dupipe {
namespace {

struct Batched {
  MemoryWriter* sink = nullptr;
  std::unique_ptr<BatchingWriter> writer;
};

Batched make(bool enabled) {
  auto sink = std::make_unique<MemoryWriter>();
  Batched b{sink.get(), nullptr};
  b.writer = std::make_unique<BatchingWriter>(std::move(sink), enabled);
  return b;
}

TEST(BatchingWriter, JoinsRecordsUntilFlush) {
  auto b = make(true);
  b.writer->write_line("a");
  b.writer->write_line("b");
  EXPECT_TRUE(b.sink->lines.empty());
  b.writer->flush();
  EXPECT_EQ(b.sink->lines, (std::vector<std::string>{"a\nb"}));
  b.writer->flush();
  EXPECT_EQ(b.sink->lines.size(), 1u);
}

TEST(BatchingWriter, NeverWritesMoreThanOneRecordLimitAtOnce) {
  auto b = make(true);
  const std::string record(1000, 'x');
  for (int i = 0; i < 10; ++i) b.writer->write_line(record);
  b.writer->flush();
  std::size_t records = 0;
  for (const auto& batch : b.sink->lines) {
    EXPECT_LE(batch.size() + 1, kMaxRecordBytes);
    records += static_cast<std::size_t>(std::count(batch.begin(), batch.end(), '\n')) + 1;
  }
  EXPECT_EQ(records, 10u);
  EXPECT_EQ(b.sink->lines.size(), 3u);  // 4 + 4 + 2 records: 4 x 1000 + 3 LF + 1 LF fit in 4096
}

TEST(BatchingWriter, FlushesOnceTheBatchCarriesEnoughWork) {
  auto b = make(true);
  b.writer->write_line("small");
  b.writer->add_work(10);
  EXPECT_TRUE(b.sink->lines.empty());
  b.writer->write_line("big");
  b.writer->add_work(BatchingWriter::kMaxBatchWorkBytes);
  EXPECT_EQ(b.sink->lines, (std::vector<std::string>{"small\nbig"}));
}

TEST(BatchingWriter, PassesLinesOnAtOnceWhenDisabled) {
  auto b = make(false);
  b.writer->write_line("a");
  b.writer->write_line("b");
  EXPECT_EQ(b.sink->lines, (std::vector<std::string>{"a", "b"}));
}

TEST(BatchingWriter, BatchesOnlyForEndpointsOfPlainWrites) {
  EXPECT_TRUE(wants_batching("-"));
  EXPECT_TRUE(wants_batching("/tmp/x"));
  EXPECT_TRUE(wants_batching("fifo:/tmp/x"));
  EXPECT_TRUE(wants_batching("packet:/tmp/x"));
  EXPECT_FALSE(wants_batching("shm:queue"));
  EXPECT_FALSE(wants_batching("fifo:"));
}

}  // namespace
}  // namespace dupipe
