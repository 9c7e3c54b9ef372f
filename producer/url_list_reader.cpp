#include "producer/url_list_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "common/os/sys.hpp"
#include "common/protocol/url_intake.hpp"

namespace dupipe::producer {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;

}  // namespace

UrlListReader::UrlListReader(UniqueFd fd, std::string name, std::size_t max_line_bytes)
    : fd_(std::move(fd)),
      name_(std::move(name)),
      max_line_bytes_(max_line_bytes),
      may_block_(sys::may_block(fd_.get())) {}

// Reads one chunk; false at end of input.
bool UrlListReader::fill() {
  buffer_.erase(0, start_);
  start_ = 0;
  std::array<char, kChunkBytes> chunk;
  // A terminal or socket would block in read(2), out of reach of the stop descriptor.
  if (may_block_) value_or_fatal(sys::wait_until_ready(fd_.get(), POLLIN, name_));
  const std::size_t n = value_or_fatal(sys::read_some(fd_.get(), chunk, name_));
  if (n == 0) is_eof_ = true;
  buffer_.append(chunk.data(), n);
  return n > 0;
}

ReadResult UrlListReader::read_until(ReadDeadline deadline) {
  if (deadline && !wait_for_line(*deadline)) return {ReadStatus::kTimedOut, {}};
  auto line = next_line();
  if (!line) return {ReadStatus::kEndOfStream, {}};
  return {ReadStatus::kRecord, Delivery{std::move(*line), DeliveryTag{++deliveries_}}};
}

// True once next_line() would not wait: a whole line, a line over the limit, or the end is here.
bool UrlListReader::wait_for_line(std::chrono::steady_clock::time_point deadline) {
  while (!is_eof_ && buffer_.find('\n', start_) == std::string::npos &&
         buffer_.size() - start_ <= max_line_bytes_) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (!value_or_fatal(
            sys::wait_until_ready_for(fd_.get(), POLLIN, std::max(left, left.zero()), name_))) {
      return false;
    }
    fill();
  }
  return true;
}

std::optional<std::string> UrlListReader::next_line() {
  std::size_t scanned = 0;  // bytes after start_ already known to hold no newline
  while (true) {
    const std::size_t newline = buffer_.find('\n', start_ + scanned);
    if (newline != std::string::npos && newline - start_ <= max_line_bytes_) {
      std::string line = buffer_.substr(start_, newline - start_);
      start_ = newline + 1;
      return line;
    }
    if (newline != std::string::npos || buffer_.size() - start_ > max_line_bytes_) break;
    if (is_eof_) {
      if (start_ == buffer_.size()) return std::nullopt;
      std::string last = buffer_.substr(start_);  // final line without newline
      start_ = buffer_.size();
      return last;
    }
    scanned = buffer_.size() - start_;
    fill();
  }
  return take_cut_line();
}

// A line over the limit: its head, and the rest read and dropped one chunk at a time.
std::string UrlListReader::take_cut_line() {
  std::string head = buffer_.substr(start_, max_line_bytes_);
  buffer_.erase(0, start_ + max_line_bytes_);
  start_ = 0;
  std::size_t newline = buffer_.find('\n');
  while (newline == std::string::npos) {
    buffer_.clear();
    if (!fill()) return head;
    newline = buffer_.find('\n');
  }
  buffer_.erase(0, newline + 1);
  return head;
}

std::unique_ptr<RecordReader> open_url_list(const std::string& path) {
  if (path == "-") {
    return std::make_unique<UrlListReader>(value_or_fatal(sys::duplicate_fd(STDIN_FILENO, "stdin")),
                                           "stdin", kMaxListLineBytes);
  }
  auto fd = sys::open_file(path, O_RDONLY);
  if (!fd) throw FatalError(Error{"URL list " + fd.error().message, fd.error().errnum});
  return std::make_unique<UrlListReader>(std::move(*fd), path, kMaxListLineBytes);
}

}  // namespace dupipe::producer
