#include "common/fd_endpoint.hpp"

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "common/record_codec.hpp"
#include "common/signals.hpp"
#include "common/sys.hpp"

namespace dupipe {
namespace {

constexpr std::size_t kStreamChunkBytes = 64 * 1024;

// A single line longer than this cannot be a record or a sane URL list entry.
constexpr std::size_t kMaxLineBytes = 1024 * 1024;

}  // namespace

// Non-blocking on a description of our own: a read that another reader beat to the data returns
// EAGAIN and read_some waits again on the data and the stop descriptor, instead of blocking.
FdLineReader::FdLineReader(UniqueFd fd, std::string name, bool is_shared)
    : fd_(sys::reopen_nonblocking(std::move(fd))), name_(std::move(name)), is_shared_(is_shared) {}

std::optional<std::string> FdLineReader::read_line() {
  while (true) {
    const std::size_t newline = buffer_.find('\n', start_);
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(start_, newline - start_);
      start_ = newline + 1;
      return line;
    }
    if (is_eof_) {
      if (start_ == buffer_.size()) return std::nullopt;
      std::string last = buffer_.substr(start_);  // final line without newline
      start_ = buffer_.size();
      return last;
    }
    if (buffer_.size() - start_ > kMaxLineBytes) {
      throw FatalError(name_ + ": line longer than " + std::to_string(kMaxLineBytes) + " bytes",
                       ExitCode::kProtocol);
    }
    fill_buffer();
  }
}

void FdLineReader::fill_buffer() {
  buffer_.erase(0, start_);
  start_ = 0;
  if (is_shared_) {
    fill_shared_buffer();
    return;
  }
  std::array<char, kStreamChunkBytes> chunk;
  const std::size_t n = value_or_fatal(sys::read_some(fd_.get(), chunk, name_));
  if (n == 0) is_eof_ = true;
  buffer_.append(chunk.data(), n);
}

// Holds the lock from an empty buffer to a record boundary. One read of up to kMaxRecordBytes
// takes whole records (a packet-mode writer hands out exactly one per read); if it ends inside a
// record, the rest of that record is read one byte at a time, as a shell's `read` does, because a
// larger read could swallow the head of the next record, which belongs to the next reader.
// A lock hold therefore takes at most kMaxRecordBytes plus one record.
void FdLineReader::fill_shared_buffer() {
  std::array<char, kMaxRecordBytes> chunk;
  const sys::ExclusiveLock lock = value_or_fatal(sys::ExclusiveLock::acquire(fd_.get(), name_));
  // Records waiting in the FIFO would make read_some go ahead after a stop: a stopped reader
  // takes none, so they stay for the readers that remain (or a restarted one).
  throw_if_stopped();
  const std::size_t n = value_or_fatal(sys::read_some(fd_.get(), chunk, name_));
  if (n == 0) {
    is_eof_ = true;
    return;
  }
  buffer_.append(chunk.data(), n);
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
    : fd_(sys::reopen_nonblocking(std::move(fd))), name_(std::move(name)) {
  if (!is_packet_mode) return;
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd_.get(), F_SETFL, flags | O_DIRECT) != 0) {
    throw_errno("enable packet mode (O_DIRECT) on " + name_, errno);
  }
}

void FdLineWriter::write_line(std::string_view line) {
  frame_.assign(line);
  frame_ += '\n';
  if (frame_.size() > kMaxRecordBytes) {
    throw FatalError(name_ + ": record of " + std::to_string(frame_.size()) +
                     " bytes exceeds the protocol limit");
  }
  value_or_fatal(sys::write_all(fd_.get(), frame_, name_));
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
