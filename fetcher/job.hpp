// One URL's download from first request to finished file. A Job decides which requests to make
// (a first "gate" request; then byte ranges when the body is large and the server honours
// Range), checks every response (status, Content-Range, validators), writes each body byte at
// its own offset of the part file, retries transient failures with backoff, resumes from a
// control file, and ends with a named file or an error. The Engine runs its Transfers; the Job
// never touches libcurl's multi handle. Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/base/error.hpp"
#include "common/base/logger.hpp"
#include "common/protocol/records.hpp"
#include "fetcher/control_file.hpp"
#include "fetcher/download_options.hpp"
#include "fetcher/part_file.hpp"
#include "fetcher/progress_saver.hpp"
#include "fetcher/segment_plan.hpp"
#include "fetcher/transfer.hpp"

namespace dupipe::fetcher {

using Clock = std::chrono::steady_clock;

struct DownloadedFile {
  std::string path;
  std::uint64_t size = 0;
  std::string content_type;  // as the server sent it; empty for file:// and unknown
  std::string final_url;     // after redirects; empty: the record's URL
};

class Job {
 public:
  Job(UrlRecord record, const DownloadOptions& options, const Logger& logger, ProgressSaver& saver,
      std::uint64_t serial);

  [[nodiscard]] const UrlRecord& record() const { return record_; }
  // Bumped whenever running transfers must be abandoned (restart, failure, success).
  [[nodiscard]] std::uint64_t generation() const { return generation_; }
  // The wait before the retry of a 429 or 503 answer, once: a crawl's frontier holds the host
  // that long (LinkFeedback::host_busy).
  [[nodiscard]] std::optional<std::chrono::milliseconds> take_busy_wait() {
    return std::exchange(busy_wait_, std::nullopt);
  }
  [[nodiscard]] bool is_finished() const { return result_.has_value(); }
  [[nodiscard]] Expected<DownloadedFile> take_result() { return std::move(*result_); }
  // When the next request may be made (retry back-off); nullopt if none is waiting.
  [[nodiscard]] std::optional<Clock::time_point> next_ready_time() const;

  // The next request to start now, if any: the gate, a pending range, or (with `may_steal`) the
  // upper half of the largest range still running.
  [[nodiscard]] std::optional<Request> next_request(Clock::time_point now, bool may_steal);
  // Called from the curl callbacks of this job's transfers; false ends that transfer.
  [[nodiscard]] bool on_body(Transfer& transfer, std::string_view bytes);
  void on_done(Transfer& transfer, CURLcode code, Clock::time_point now);
  // Hands a snapshot of the written ranges to the saver if this download can be resumed.
  void save_progress();
  // The fetcher is stopping: save now (fdatasync, control file) and keep the part file.
  void keep_for_resume();

 private:
  enum class State { kFresh, kGated, kRunning };

  std::optional<Request> gate_request();
  std::optional<Request> segment_request(Clock::time_point now, bool may_steal);
  Request range_request(std::size_t index, Clock::time_point now);
  // Each returns the error that ends the transfer, or nullopt to go on.
  [[nodiscard]] std::optional<TransferError> check_response(Transfer& transfer);
  [[nodiscard]] std::optional<TransferError> check_complete(Transfer& transfer);
  [[nodiscard]] std::optional<TransferError> check_partial(Transfer& transfer);
  [[nodiscard]] std::optional<TransferError> start_segments(Transfer& transfer,
                                                            std::uint64_t total);
  [[nodiscard]] std::optional<TransferError> adopt_as_stream(Transfer& transfer);
  [[nodiscard]] std::optional<TransferError> too_large(std::uint64_t length) const;
  void adopt_resumed(Transfer& transfer);
  [[nodiscard]] std::optional<TransferError> start_empty(Transfer& transfer);
  void load_resume_state();
  void restart(const std::string& reason, Clock::time_point now);
  void segment_finished(Transfer& transfer, Clock::time_point now);
  void failed(const TransferError& error, std::optional<std::uint64_t> retry_after_s,
              std::size_t segment, Clock::time_point now);
  void finish();
  void describe_body(const Transfer& transfer);
  void finish_with_error(std::string message);
  [[nodiscard]] ControlState control_state() const;
  [[nodiscard]] bool is_resumable() const;
  void forget_control_file();

  UrlRecord record_;
  const DownloadOptions& options_;
  const Logger& logger_;
  ProgressSaver& saver_;
  std::uint64_t serial_;
  std::optional<std::chrono::milliseconds> busy_wait_;
  bool is_file_url_;
  State state_ = State::kFresh;
  std::uint64_t generation_ = 0;
  std::optional<PartFile> file_;
  std::optional<ControlState> resumed_;
  bool is_segmented_ = false;  // larger than the probe: resumable, control file kept, stealable
  bool ranges_work_ = false;   // a valid 206 came back: a retry may continue where it stopped
  std::optional<std::uint64_t> total_;
  std::string etag_;
  std::string last_modified_;
  std::string content_type_;
  std::string disposition_;
  std::string final_url_;
  std::vector<Segment> segments_;
  std::vector<Clock::time_point> ready_at_;  // per segment: not before this (back-off)
  Clock::time_point gate_ready_at_{};
  int failed_attempts_ = 0;
  int restarts_ = 0;
  std::vector<std::string> attempt_errors_;
  std::optional<Expected<DownloadedFile>> result_;
  std::minstd_rand jitter_;
};

}  // namespace dupipe::fetcher
