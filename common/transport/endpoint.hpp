// The one endpoint abstraction: stages read and write protocol lines through RecordReader /
// RecordWriter and never know the transport. open_reader/open_writer pick the implementation
// from an --in/--out string (see parse_endpoint). A read returns a Delivery whose tag the stage
// hands back once everything derived from the record has been passed on (docs/PROTOCOL.md,
// "Endpoints"). Not thread-safe; one owner per object.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/error.hpp"
#include "common/protocol/records.hpp"

namespace dupipe {

// Names one delivery of one record by one reader; opaque, unique among that reader's deliveries
// (for shm: the record's RingPosition in its segment). Value 0 is never a delivery.
struct DeliveryTag {
  std::uint64_t value = 0;
  friend auto operator<=>(const DeliveryTag&, const DeliveryTag&) = default;
};

struct Delivery {
  std::string line;  // without its newline
  DeliveryTag tag;
};

enum class ReadStatus { kRecord, kTimedOut, kEndOfStream };

struct ReadResult {
  ReadStatus status = ReadStatus::kTimedOut;
  Delivery delivery;  // set when status is kRecord
};

// No deadline: wait until a record or the end of the stream.
using ReadDeadline = std::optional<std::chrono::steady_clock::time_point>;

class RecordReader {
 public:
  virtual ~RecordReader() = default;

  // The next record, kEndOfStream once every writer has finished (and for ever after), or
  // kTimedOut at `deadline` (a deadline already past still takes a record that is ready). Every
  // wait also ends on a stop request (Interrupted, common/os/signals.hpp).
  [[nodiscard]] virtual ReadResult read_until(ReadDeadline deadline) = 0;
  // Blocks: the next record, or nullopt at the end of the stream.
  [[nodiscard]] std::optional<Delivery> read();
  // Waits at most `timeout` (0: only what is ready now) plus, for a FIFO shared by several
  // readers, one record boundary of a sibling's lock hold.
  [[nodiscard]] ReadResult read_for(std::chrono::milliseconds timeout);
  // Reads and acknowledges at once, for consumers that keep nothing beyond the call (tools,
  // tests): a reader that dies after it returned leaves no orphan.
  [[nodiscard]] std::optional<std::string> read_line();

  // A descriptor to poll(POLLIN) together with others: once read_for(0ms) has returned
  // kTimedOut, it becomes readable when a read may make progress (a record, the end of the
  // stream, or data a sibling reader takes first: the read then times out again). Lines already
  // buffered do not make it readable, hence the read_for(0ms) first. nullopt: the transport
  // waits on something poll(2) cannot see (shm waits on a futex); multiplex such a reader by
  // alternating read_for(slice) with a poll of the other descriptors (timeout 0).
  [[nodiscard]] virtual std::optional<int> wait_fd() const { return std::nullopt; }

  // Everything derived from the delivery has been passed on: the transport may forget it. Until
  // then a transport that tracks deliveries keeps it claimed (shm lists it as an orphan if this
  // process dies). Each tag once; tags of other readers or unknown tags throw FatalError where
  // the transport checks. No-op for FIFOs and stdio, which forget a record once it is read.
  virtual void acknowledge(DeliveryTag /*tag*/) {}
  // The delivery is still being worked on (a long download): a broker with leases renews the
  // claim. No-op (returns at once) where claims do not expire: FIFO, stdio, shm.
  virtual void extend_lease(DeliveryTag /*tag*/) {}
  // Negative acknowledgement: this reader gives the record up; a broker redelivers it after
  // `delay`. The tag is finished for this reader. Where nothing can redeliver (FIFO, stdio, shm)
  // the default acknowledges it: the stage has already written the failure record it owes.
  virtual void reject(DeliveryTag tag, std::chrono::milliseconds /*delay*/) { acknowledge(tag); }
  // How many deliveries may be unacknowledged at once; a read beyond it throws FatalError.
  [[nodiscard]] virtual std::size_t max_in_flight() const { return SIZE_MAX; }

  [[nodiscard]] virtual const std::string& name() const = 0;
};

// Queue control for a writer that hands work to whichever reader is ready (the size grouper).
class QueueControl {
 public:
  virtual ~QueueControl() = default;
  // Makes the link hold at most `packets` writes (a FIFO: that many pages) and returns true, so
  // that wait_writable() then means "the reader has taken at least one of them". Call before
  // writing. False where the transport cannot (then wait_writable returns at once).
  [[nodiscard]] virtual bool shrink_queue(std::size_t packets) = 0;
  // Blocks until a write would not block (or a stop is requested: Interrupted).
  virtual void wait_writable() = 0;
};

class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  // Writes one line (without newline, at most kMaxRecordBytes - 1 bytes) as one atomic unit.
  // When it returns, the line is in the link (or the writer's own batch: BatchingWriter).
  virtual void write_line(std::string_view line) = 0;
  // Writes the line only if the link has room for all of it now; false (nothing written) if it
  // has not. For a process that must never block on this link while it has other work (the
  // crawl frontier: its fetchers may be waiting for it to read their links). Where a transport
  // cannot tell without waiting, it writes as write_line does and returns true.
  [[nodiscard]] virtual bool try_write_line(std::string_view line) {
    write_line(line);
    return true;
  }
  // A descriptor to poll(POLLOUT) together with others: once try_write_line has returned false,
  // it becomes writable when a try may succeed. nullopt: the transport waits on something
  // poll(2) cannot see (shm); retry try_write_line after a slice of the other waits.
  [[nodiscard]] virtual std::optional<int> wait_fd() const { return std::nullopt; }
  [[nodiscard]] virtual const std::string& name() const = 0;
  // The writer's queue control, owned by the writer; nullptr (the default) where there is none.
  [[nodiscard]] virtual QueueControl* queue_control() { return nullptr; }
};

enum class EndpointKind {
  kStdio,       // "-" or empty: stdin / stdout
  kPath,        // "PATH": an existing FIFO or a regular file
  kFifo,        // "fifo:PATH": an existing named FIFO, byte-stream writes
  kPacketFifo,  // "packet:PATH": a named FIFO written in packet mode (one record per read)
  kShm,         // "shm:NAME": an existing dupipe shared-memory queue (see shm_endpoint.hpp)
};

struct EndpointSpec {
  EndpointKind kind = EndpointKind::kStdio;
  std::string target;
};

[[nodiscard]] Expected<EndpointSpec> parse_endpoint(std::string_view spec);

// Both throw FatalError naming the endpoint when it cannot be opened.
[[nodiscard]] std::unique_ptr<RecordReader> open_reader(std::string_view spec);
[[nodiscard]] std::unique_ptr<RecordWriter> open_writer(std::string_view spec);

// Encodes and writes a record; throws FatalError if it cannot be encoded (too long).
void write_record(RecordWriter& writer, const Record& record);

}  // namespace dupipe
