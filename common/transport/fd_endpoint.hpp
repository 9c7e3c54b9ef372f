// Line transport over a file descriptor: stdin/stdout, a named FIFO or a regular file.
// Several processes may read one FIFO: a reader takes records only while holding flock(2) on it
// and releases the lock only at a record boundary, so no record is ever split or read twice
// (docs/PROTOCOL.md, "Several readers on one FIFO"). Each record is written with one write(2)
// of at most PIPE_BUF bytes, so concurrent writers never interleave. A FIFO or pipe is reopened
// non-blocking on a description of this endpoint's own (sys::reopen_nonblocking), and every wait
// (data, room, the lock) also polls the stop descriptor: a stop signal ends it at once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/os/unique_fd.hpp"
#include "common/transport/endpoint.hpp"

namespace dupipe {

class FdLineReader final : public RecordReader {
 public:
  // `is_shared` selects the lock-per-batch protocol (automatic for FIFOs and pipes).
  FdLineReader(UniqueFd fd, std::string name, bool is_shared);

  [[nodiscard]] ReadResult read_until(ReadDeadline deadline) override;
  // The descriptor itself: once read_for(0ms) has timed out (EAGAIN: a writer was there), it
  // polls readable when data or the end of the stream is there.
  [[nodiscard]] std::optional<int> wait_fd() const override { return fd_.get(); }
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  [[nodiscard]] std::optional<std::string> next_buffered_line();
  // False if the deadline passed with nothing read.
  [[nodiscard]] bool fill_buffer(ReadDeadline deadline);
  // False if nothing was there (only with a deadline; without one they wait).
  [[nodiscard]] bool fill_stream_buffer(ReadDeadline deadline);
  [[nodiscard]] bool fill_shared_buffer(ReadDeadline deadline);
  [[nodiscard]] std::optional<std::size_t> read_chunk(std::span<char> chunk, ReadDeadline deadline);
  void complete_shared_record();

  UniqueFd fd_;
  std::string name_;
  bool is_shared_;
  bool may_block_;  // a blocking terminal or socket: polled before each read
  bool is_eof_ = false;
  std::string buffer_;
  std::size_t start_ = 0;
  std::uint64_t deliveries_ = 0;  // tags count the lines handed out
};

class FdLineWriter final : public RecordWriter, private QueueControl {
 public:
  // `is_packet_mode` sets O_DIRECT on a FIFO: each write becomes one packet and each read(2) of a
  // reader returns exactly one record, which spreads records evenly over several readers.
  FdLineWriter(UniqueFd fd, std::string name, bool is_packet_mode);

  void write_line(std::string_view line) override;
  // One write(2) of the whole record: a FIFO or pipe takes a record of at most PIPE_BUF bytes
  // whole or not at all (EAGAIN), so nothing is ever half written.
  [[nodiscard]] bool try_write_line(std::string_view line) override;
  [[nodiscard]] std::optional<int> wait_fd() const override { return fd_.get(); }
  [[nodiscard]] const std::string& name() const override { return name_; }
  [[nodiscard]] QueueControl* queue_control() override { return this; }

 private:
  // A FIFO only: its buffer becomes `packets` pages (F_SETPIPE_SZ), as many packets.
  [[nodiscard]] bool shrink_queue(std::size_t packets) override;
  // poll(POLLOUT); for a shrunk FIFO that is "a packet slot is free".
  void wait_writable() override;

  void frame(std::string_view line);

  UniqueFd fd_;
  std::string name_;
  bool may_block_;  // a blocking terminal or socket: polled before each write
  std::string frame_;
  bool is_shrunk_ = false;
};

}  // namespace dupipe
