#include "common/transport/fd_endpoint.hpp"

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "common/os/signals.hpp"
#include "common/os/sys.hpp"
#include "common/protocol/record_codec.hpp"

namespace dupipe {
namespace {

constexpr std::size_t kStreamChunkBytes = 64 * 1024;

// A single line longer than this cannot be a record or a sane URL list entry.
constexpr std::size_t kMaxLineBytes = 1024 * 1024;

}  // namespace

// Non-blocking on a description of our own: a read that another reader beat to the data returns
// EAGAIN and read_some waits again on the data and the stop descriptor, instead of blocking.
FdLineReader::FdLineReader(UniqueFd fd, std::string name, bool is_shared)
    : fd_(sys::reopen_nonblocking(std::move(fd))),
      name_(std::move(name)),
      is_shared_(is_shared),
      may_block_(sys::may_block(fd_.get())) {}

ReadResult FdLineReader::read_until(ReadDeadline deadline) {
  while (true) {
    if (auto line = next_buffered_line()) {
      return {ReadStatus::kRecord, Delivery{std::move(*line), DeliveryTag{++deliveries_}}};
    }
    if (is_eof_) return {ReadStatus::kEndOfStream, {}};
    if (buffer_.size() - start_ > kMaxLineBytes) {
      throw FatalError(name_ + ": line longer than " + std::to_string(kMaxLineBytes) + " bytes",
                       ExitCode::kProtocol);
    }
    if (!fill_buffer(deadline)) return {ReadStatus::kTimedOut, {}};
  }
}

std::optional<std::string> FdLineReader::next_buffered_line() {
  const std::size_t newline = buffer_.find('\n', start_);
  if (newline != std::string::npos) {
    std::string line = buffer_.substr(start_, newline - start_);
    start_ = newline + 1;
    return line;
  }
  if (!is_eof_ || start_ == buffer_.size()) return std::nullopt;
  std::string last = buffer_.substr(start_);  // final line without newline
  start_ = buffer_.size();
  return last;
}

// Reads what is there; with a deadline the read never waits, and nothing read (EAGAIN: an empty
// FIFO, or data another reader took first) means a wait in poll(2) until the deadline, then the
// caller loops and reads again. The read comes first because a FIFO reopened O_NONBLOCK while it
// had no writer never polls POLLHUP (see sys::read_some): its end shows only to a read.
bool FdLineReader::fill_buffer(ReadDeadline deadline) {
  buffer_.erase(0, start_);
  start_ = 0;
  if (is_shared_ ? fill_shared_buffer(deadline) : fill_stream_buffer(deadline)) return true;
  const auto left = *deadline - std::chrono::steady_clock::now();
  return value_or_fatal(
      sys::wait_until_ready_for(fd_.get(), POLLIN, std::max(left, left.zero()), name_));
}

// One read; without a deadline it waits until there is something. nullopt (only with a deadline):
// nothing there yet.
std::optional<std::size_t> FdLineReader::read_chunk(std::span<char> chunk, ReadDeadline deadline) {
  // A terminal or socket (not reopened non-blocking) would block in read(2), out of reach of the
  // stop descriptor and of the deadline: it is polled first.
  if (may_block_) {
    if (!deadline) {
      value_or_fatal(sys::wait_until_ready(fd_.get(), POLLIN, name_));
    } else if (const auto left = *deadline - std::chrono::steady_clock::now();
               !value_or_fatal(sys::wait_until_ready_for(fd_.get(), POLLIN,
                                                         std::max(left, left.zero()), name_))) {
      return std::nullopt;
    }
  }
  if (deadline) return value_or_fatal(sys::try_read(fd_.get(), chunk, name_));
  return value_or_fatal(sys::read_some(fd_.get(), chunk, name_));
}

bool FdLineReader::fill_stream_buffer(ReadDeadline deadline) {
  std::array<char, kStreamChunkBytes> chunk;
  const auto n = read_chunk(chunk, deadline);
  if (!n) return false;
  if (*n == 0) is_eof_ = true;
  buffer_.append(chunk.data(), *n);
  return true;
}

// Holds the lock from an empty buffer to a record boundary. One read of up to kMaxRecordBytes
// takes whole records (a packet-mode writer hands out exactly one per read); if it ends inside a
// record, the rest of that record is read one byte at a time, as a shell's `read` does, because a
// larger read could swallow the head of the next record, which belongs to the next reader.
// A lock hold therefore takes at most kMaxRecordBytes plus one record. With a deadline, a reader
// that finds the FIFO empty lets the lock go and waits outside it.
bool FdLineReader::fill_shared_buffer(ReadDeadline deadline) {
  std::array<char, kMaxRecordBytes> chunk;
  const sys::ExclusiveLock lock = value_or_fatal(sys::ExclusiveLock::acquire(fd_.get(), name_));
  // Records waiting in the FIFO would make the read go ahead after a stop: a stopped reader
  // takes none, so they stay for the readers that remain (or a restarted one).
  throw_if_stopped();
  const auto n = read_chunk(chunk, deadline);
  if (!n) return false;
  if (*n == 0) {
    is_eof_ = true;
    return true;
  }
  buffer_.append(chunk.data(), *n);
  complete_shared_record();
  return true;
}

void FdLineReader::complete_shared_record() {
  std::size_t partial_bytes = buffer_.size() - (buffer_.rfind('\n') + 1);  // npos + 1 == 0
  while (partial_bytes > 0) {
    if (partial_bytes > kMaxLineBytes) {
      throw FatalError(name_ + ": line longer than " + std::to_string(kMaxLineBytes) + " bytes",
                       ExitCode::kProtocol);
    }
    char byte = 0;
    if (value_or_fatal(sys::read_some(fd_.get(), std::span(&byte, 1), name_)) == 0) {
      is_eof_ = true;  // the last line had no newline
      return;
    }
    buffer_ += byte;
    partial_bytes = byte == '\n' ? 0 : partial_bytes + 1;
  }
}

// Non-blocking for the same reason as the reader: several writers share a FIFO's room.
FdLineWriter::FdLineWriter(UniqueFd fd, std::string name, bool is_packet_mode)
    : fd_(sys::reopen_nonblocking(std::move(fd))),
      name_(std::move(name)),
      may_block_(sys::may_block(fd_.get())) {
  if (!is_packet_mode) return;
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd_.get(), F_SETFL, flags | O_DIRECT) != 0) {
    throw_errno("enable packet mode (O_DIRECT) on " + name_, errno);
  }
}

void FdLineWriter::frame(std::string_view line) {
  frame_.assign(line);
  frame_ += '\n';
  if (frame_.size() > kMaxRecordBytes) {
    throw FatalError(name_ + ": record of " + std::to_string(frame_.size()) +
                     " bytes exceeds the protocol limit");
  }
}

void FdLineWriter::write_line(std::string_view line) {
  frame(line);
  if (may_block_) value_or_fatal(sys::wait_until_ready(fd_.get(), POLLOUT, name_));
  value_or_fatal(sys::write_all(fd_.get(), frame_, name_));
}

bool FdLineWriter::try_write_line(std::string_view line) {
  frame(line);
  if (may_block_) {
    if (!value_or_fatal(sys::wait_until_ready_for(fd_.get(), POLLOUT, {}, name_))) return false;
    value_or_fatal(sys::write_all(fd_.get(), frame_, name_));
    return true;
  }
  const auto written = value_or_fatal(sys::try_write(fd_.get(), frame_, name_));
  if (!written) return false;
  // Only a regular file or a record past PIPE_BUF can be written in part: finish it.
  if (*written < frame_.size()) {
    value_or_fatal(sys::write_all(fd_.get(), std::string_view(frame_).substr(*written), name_));
  }
  return true;
}

bool FdLineWriter::shrink_queue(std::size_t packets) {
  // A pipe buffer is a number of page-sized slots, each holding one packet (one is the least).
  const int bytes = static_cast<int>(std::max<std::size_t>(packets, 1) * 4096);
  is_shrunk_ = sys::is_fifo(fd_.get()) && ::fcntl(fd_.get(), F_SETPIPE_SZ, bytes) >= 0;
  return is_shrunk_;
}

void FdLineWriter::wait_writable() {
  if (is_shrunk_) value_or_fatal(sys::wait_until_ready(fd_.get(), POLLOUT, name_));
}

}  // namespace dupipe
