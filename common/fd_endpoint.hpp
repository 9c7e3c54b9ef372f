// Line transport over a file descriptor: stdin/stdout, a named FIFO or a regular file.
// Several processes may read one FIFO: a reader takes records only while holding flock(2) on it
// and releases the lock only at a record boundary, so no record is ever split or read twice
// (docs/PROTOCOL.md, "Several readers on one FIFO"). Each record is written with one write(2)
// of at most PIPE_BUF bytes, so concurrent writers never interleave. A FIFO or pipe is reopened
// non-blocking on a description of this endpoint's own (sys::reopen_nonblocking), and every wait
// (data, room, the lock) also polls the stop descriptor: a stop signal ends it at once.
#pragma once

#include <string>

#include "common/endpoint.hpp"
#include "common/unique_fd.hpp"

namespace dupipe {

class FdLineReader final : public RecordReader {
 public:
  // `is_shared` selects the lock-per-batch protocol (automatic for FIFOs and pipes).
  FdLineReader(UniqueFd fd, std::string name, bool is_shared);

  [[nodiscard]] std::optional<std::string> read_line() override;
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  void fill_buffer();
  void fill_shared_buffer();

  UniqueFd fd_;
  std::string name_;
  bool is_shared_;
  bool is_eof_ = false;
  std::string buffer_;
  std::size_t start_ = 0;
};

class FdLineWriter final : public RecordWriter {
 public:
  // `is_packet_mode` sets O_DIRECT on a FIFO: each write becomes one packet and each read(2) of a
  // reader returns exactly one record, which spreads records evenly over several readers.
  FdLineWriter(UniqueFd fd, std::string name, bool is_packet_mode);

  void write_line(std::string_view line) override;
  [[nodiscard]] const std::string& name() const override { return name_; }
  // A FIFO only: its buffer becomes `packets` pages (F_SETPIPE_SZ), as many packets.
  [[nodiscard]] bool shrink_queue(std::size_t packets) override;
  // poll(POLLOUT); for a shrunk FIFO that is "a packet slot is free".
  void wait_writable() override;

 private:
  UniqueFd fd_;
  std::string name_;
  std::string frame_;
  bool is_shrunk_ = false;
};

}  // namespace dupipe
