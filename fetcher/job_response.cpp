// The Job's checks of what a server answered, and the write path of body bytes. Every byte is
// written at the file offset its response says it has (a 206's Content-Range start), clipped to
// the segment it belongs to: an overlapping, longer or repeated answer can never duplicate or
// shift bytes, and an answer that would leave a gap is refused.
#include <unistd.h>

#include <limits>

#include "fetcher/content_range.hpp"
#include "fetcher/job.hpp"

namespace dupipe::fetcher {
namespace {

constexpr std::uint64_t kUnknownEnd = std::numeric_limits<std::uint64_t>::max();

// Strong comparison against what the first response said; no validator then means no check.
bool validator_matches(const ResponseHeaders& headers, const std::string& etag,
                       const std::string& last_modified) {
  if (!etag.empty()) return headers.etag == etag;
  if (!last_modified.empty()) return headers.last_modified == last_modified;
  return true;
}

bool is_encoded(const ResponseHeaders& headers) {
  return !headers.content_encoding.empty() && headers.content_encoding != "identity";
}

}  // namespace

std::optional<TransferError> Job::too_large(std::uint64_t length) const {
  if (options_.max_filesize_bytes == 0 || length <= options_.max_filesize_bytes)
    return std::nullopt;
  return TransferError{"body of " + std::to_string(length) + " bytes exceeds --max-filesize (" +
                           std::to_string(options_.max_filesize_bytes) + " bytes)",
                       false};
}

std::optional<TransferError> Job::check_response(Transfer& transfer) {
  const long status = is_file_url_ ? 200 : transfer.status();
  if (transfer.request().expects_complete) return check_complete(transfer);
  if (status == 416 && state_ == State::kGated && !resumed_) return start_empty(transfer);
  if (status >= 400) {
    return TransferError{"HTTP " + std::to_string(status), is_transient_http_status(status),
                         status == 429 || status == 503};
  }
  if (status == 206) return check_partial(transfer);
  if (status >= 200 && status < 300) return adopt_as_stream(transfer);
  return TransferError{"HTTP " + std::to_string(status), false};
}

// Resuming a file the control file says is complete: "Range: bytes=LENGTH-" must come back 416
// for the same length and validator; a 200 means the file changed and is fetched again.
std::optional<TransferError> Job::check_complete(Transfer& transfer) {
  const long status = transfer.status();
  const auto length = parse_unsatisfied_range(transfer.headers().content_range);
  if (status == 416 && length == resumed_->length &&
      validator_matches(transfer.headers(), resumed_->etag, resumed_->last_modified)) {
    adopt_resumed(transfer);
    return std::nullopt;
  }
  restart("resume check answered HTTP " + std::to_string(status), Clock::now());
  return std::nullopt;
}

std::optional<TransferError> Job::check_partial(Transfer& transfer) {
  const ResponseHeaders& headers = transfer.headers();
  const auto range = parse_content_range(headers.content_range);
  if (!range || !range->total) {
    return TransferError{
        "206 response without a usable Content-Range ('" + headers.content_range + "')", false};
  }
  if (state_ == State::kGated && !resumed_) {
    if (auto error = start_segments(transfer, *range->total)) return error;
  } else if (state_ == State::kGated) {
    if (*range->total != resumed_->length ||
        !validator_matches(headers, resumed_->etag, resumed_->last_modified)) {
      restart("the file changed on the server since the partial download", Clock::now());
      return std::nullopt;
    }
    adopt_resumed(transfer);
  } else if (*range->total != *total_ || !validator_matches(headers, etag_, last_modified_)) {
    restart("the file changed on the server during the download", Clock::now());
    return std::nullopt;
  }
  const Segment& segment = segments_[transfer.segment];
  if (range->first > segment.next) {
    return TransferError{"206 response starts at byte " + std::to_string(range->first) +
                             ", after the requested " + std::to_string(segment.next),
                         true};
  }
  transfer.body_offset = range->first;
  return std::nullopt;
}

// What names the file and resolves its links: its type, its suggested name and the URL it came
// from after redirects.
void Job::describe_body(const Transfer& transfer) {
  content_type_ = transfer.content_type();
  disposition_ = transfer.headers().content_disposition;
  final_url_ = transfer.effective_url();
}

// "bytes=0-N" on an empty file is unsatisfiable: a 416 for length 0 is the empty file.
std::optional<TransferError> Job::start_empty(Transfer& transfer) {
  if (parse_unsatisfied_range(transfer.headers().content_range) != 0) {
    return TransferError{"HTTP 416", false};
  }
  total_ = 0;
  describe_body(transfer);
  segments_ = {Segment{0, 0, 0, SegmentState::kActive}};
  ready_at_.assign(1, Clock::now());
  state_ = State::kRunning;
  if (auto ok = file_->truncate(0); !ok) return TransferError{ok.error().message, false};
  return std::nullopt;
}

// The probe's 206 told the length: pre-allocate the file and plan the remaining ranges.
std::optional<TransferError> Job::start_segments(Transfer& transfer, std::uint64_t total) {
  if (auto error = too_large(total)) return error;
  total_ = total;
  etag_ = transfer.headers().etag;
  last_modified_ = transfer.headers().last_modified;
  describe_body(transfer);
  const std::uint64_t probe_end = std::min(total, transfer.request().end.value_or(total));
  is_segmented_ = total > probe_end;
  ranges_work_ = true;
  segments_ = {Segment{0, 0, probe_end, SegmentState::kPending}};
  activate(segments_[0], Clock::now());  // its rate counts from the answer, not the request
  if (is_segmented_) {
    const auto rest =
        plan_segments(probe_end, total, static_cast<std::uint64_t>(options_.segments - 1),
                      options_.min_steal_bytes);
    segments_.insert(segments_.end(), rest.begin(), rest.end());
  }
  ready_at_.assign(segments_.size(), Clock::now());
  state_ = State::kRunning;
  if (auto ok = file_->truncate(0); !ok) return TransferError{ok.error().message, false};
  // Only ranges written out of order need the blocks reserved up front; a file that arrives
  // whole in the probe is written front to back, and fallocate (then ext4's conversion of the
  // unwritten extents) cost every small file two more system calls on the engine thread.
  if (!is_segmented_) return std::nullopt;
  if (auto ok = file_->allocate(total); !ok) return TransferError{ok.error().message, false};
  return std::nullopt;
}

void Job::adopt_resumed(Transfer& transfer) {
  total_ = resumed_->length;
  etag_ = resumed_->etag;
  last_modified_ = resumed_->last_modified;
  describe_body(transfer);
  segments_ = resumed_->segments;
  for (Segment& s : segments_)
    s.state = s.next == s.end ? SegmentState::kDone : SegmentState::kPending;
  if (!transfer.request().expects_complete) activate(segments_[transfer.segment], Clock::now());
  ready_at_.assign(segments_.size(), Clock::now());
  is_segmented_ = true;
  ranges_work_ = true;
  state_ = State::kRunning;
  logger_.info(record_.url + ": resuming, " + std::to_string(bytes_done(segments_)) + " of " +
               std::to_string(*total_) + " bytes already written");
}

// A 200 is the whole body from byte 0, whatever else was asked or is running: every other
// transfer of this job is abandoned and this one rewrites the file from the start.
std::optional<TransferError> Job::adopt_as_stream(Transfer& transfer) {
  if (resumed_ && state_ == State::kGated) {  // If-Range failed: the file is not the one we had
    restart("the file changed on the server since the partial download", Clock::now());
    return std::nullopt;
  }
  if (transfer.request().is_ranged && (is_segmented_ || resumed_)) {
    logger_.warning(record_.url +
                    ": server answered 200 to a range request; one stream from the start");
  }
  transfer.generation = ++generation_;
  resumed_.reset();
  is_segmented_ = false;
  ranges_work_ = false;
  state_ = State::kRunning;
  const ResponseHeaders& headers = transfer.headers();
  etag_ = headers.etag;
  last_modified_ = headers.last_modified;
  describe_body(transfer);
  // A decoded body's length is unknown: Content-Length counts the encoded bytes.
  total_ = options_.compressed && is_encoded(headers) ? std::nullopt : transfer.content_length();
  if (total_) {
    if (auto error = too_large(*total_)) return error;
  }
  forget_control_file();
  if (auto ok = file_->truncate(0); !ok) return TransferError{ok.error().message, false};
  if (total_) {
    if (auto ok = file_->allocate(*total_); !ok) return TransferError{ok.error().message, false};
  }
  segments_ = {Segment{0, 0, total_.value_or(kUnknownEnd), SegmentState::kPending}};
  activate(segments_[0], Clock::now());
  ready_at_.assign(1, Clock::now());
  transfer.segment = 0;
  transfer.body_offset = 0;
  return std::nullopt;
}

bool Job::on_body(Transfer& transfer, std::string_view bytes) {
  if (transfer.generation != generation_ || is_finished()) return false;
  if (!transfer.is_checked) {
    transfer.is_checked = true;
    transfer.error = check_response(transfer);
    if (transfer.error || transfer.generation != generation_ || is_finished()) return false;
  }
  Segment& segment = segments_[transfer.segment];
  const std::uint64_t offset = transfer.body_offset + transfer.received;
  transfer.received += bytes.size();
  if (offset > segment.next) {
    transfer.error =
        TransferError{"body skipped bytes " + std::to_string(segment.next) + "..", true};
    return false;
  }
  const std::uint64_t stop = std::min<std::uint64_t>(offset + bytes.size(), segment.end);
  // libcurl 7.88 does not enforce CURLOPT_MAXFILESIZE on bodies of unannounced size: count here.
  if (!total_ && options_.max_filesize_bytes != 0 && stop > options_.max_filesize_bytes) {
    transfer.error = TransferError{
        "body exceeds --max-filesize (" + std::to_string(options_.max_filesize_bytes) + " bytes)",
        false};
    return false;
  }
  if (stop > segment.next) {
    const auto written =
        file_->write_at(segment.next, bytes.substr(segment.next - offset, stop - segment.next));
    if (!written) {
      transfer.error = TransferError{written.error().message, false};
      return false;
    }
    segment.next = stop;
  }
  if (offset + bytes.size() > segment.end) {
    transfer.is_stopped_at_end = true;  // its range is done (or was taken over): end it here
    return false;
  }
  return true;
}

}  // namespace dupipe::fetcher
