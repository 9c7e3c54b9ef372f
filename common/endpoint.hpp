// The one endpoint abstraction: stages read and write protocol lines through RecordReader /
// RecordWriter and never know the transport. open_reader/open_writer pick the implementation
// from an --in/--out string (see parse_endpoint). Not thread-safe; one owner per object.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/records.hpp"

namespace dupipe {

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // The next line without its newline, or nullopt once every writer has finished.
  [[nodiscard]] virtual std::optional<std::string> read_line() = 0;
  // Called after everything derived from the last line read has been passed on. Transports that
  // acknowledge deliveries (a future redis:// endpoint) act here; FIFOs and stdio need nothing.
  virtual void acknowledge() {}
  [[nodiscard]] virtual const std::string& name() const = 0;
};

class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  // Writes one line (without newline, at most kMaxRecordBytes - 1 bytes) as one atomic unit.
  virtual void write_line(std::string_view line) = 0;
  [[nodiscard]] virtual const std::string& name() const = 0;
  // For a writer that hands work to whichever reader is ready (the size grouper): makes the link
  // hold at most `packets` writes (a FIFO: that many pages) and returns true, so that
  // wait_writable() then means "the reader has taken at least one of them". Call before writing.
  // False (the default) for transports that cannot.
  [[nodiscard]] virtual bool shrink_queue(std::size_t /*packets*/) { return false; }
  // Blocks until a write would not block. Returns at once where shrink_queue() is false.
  virtual void wait_writable() {}
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
