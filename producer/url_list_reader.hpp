// The producer's reader of a URL list (a file, a FIFO or stdin): lines of any length and any
// bytes. Unlike the protocol readers it never stops on a long line: it keeps the first
// kMaxListLineBytes bytes of a line and reads past the rest, so a hostile line costs bounded
// memory and still ends up as one rejected line. Not thread-safe; one owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/os/unique_fd.hpp"
#include "common/transport/endpoint.hpp"

namespace dupipe::producer {

class UrlListReader final : public RecordReader {
 public:
  UrlListReader(UniqueFd fd, std::string name, std::size_t max_line_bytes);
  // With a deadline only the wait for a line's first bytes is bounded: the rest of a line over
  // the limit is read past without one.
  [[nodiscard]] ReadResult read_until(ReadDeadline deadline) override;
  [[nodiscard]] std::optional<int> wait_fd() const override { return fd_.get(); }
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  [[nodiscard]] bool wait_for_line(std::chrono::steady_clock::time_point deadline);
  [[nodiscard]] std::optional<std::string> next_line();
  bool fill();
  std::string take_cut_line();

  UniqueFd fd_;
  std::string name_;
  std::size_t max_line_bytes_;
  bool may_block_;  // a blocking terminal or socket: poll before each read
  std::string buffer_;
  std::size_t start_ = 0;
  bool is_eof_ = false;
  std::uint64_t deliveries_ = 0;
};

// "-" is stdin; anything else is opened read-only. Throws FatalError naming the path.
[[nodiscard]] std::unique_ptr<RecordReader> open_url_list(const std::string& path);

}  // namespace dupipe::producer
