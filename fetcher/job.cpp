#include "fetcher/job.hpp"

#include <unistd.h>

#include <algorithm>

#include "fetcher/content_disposition.hpp"
#include "fetcher/content_range.hpp"
#include "fetcher/file_naming.hpp"

namespace dupipe::fetcher {
namespace {}  // namespace

Job::Job(UrlRecord record, const DownloadOptions& options, const Logger& logger,
         ProgressSaver& saver, std::uint64_t serial)
    : record_(std::move(record)),
      options_(options),
      logger_(logger),
      saver_(saver),
      serial_(serial),
      is_file_url_(record_.url.starts_with("file:")),
      jitter_(static_cast<std::minstd_rand::result_type>(serial * 2654435761U + 1)) {}

std::optional<Clock::time_point> Job::next_ready_time() const {
  if (is_finished()) return std::nullopt;
  if (state_ == State::kFresh) return gate_ready_at_;
  std::optional<Clock::time_point> earliest;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].state != SegmentState::kPending) continue;
    if (!earliest || ready_at_[i] < *earliest) earliest = ready_at_[i];
  }
  return earliest;
}

std::optional<Request> Job::next_request(Clock::time_point now, bool may_steal) {
  if (is_finished()) return std::nullopt;
  if (state_ == State::kFresh) return now >= gate_ready_at_ ? gate_request() : std::nullopt;
  if (state_ == State::kGated) return std::nullopt;
  return segment_request(now, may_steal && is_segmented_);
}

// The first request of an attempt. It also finds out whether ranges work: a probe asks for
// bytes 0..threshold-1, so a small file arrives whole in one 206 (or a 200) and a large one
// reveals its length while its first range is already streaming.
std::optional<Request> Job::gate_request() {
  if (!file_) {
    auto file = PartFile::open(options_.files_dir, record_.id, options_.resume, serial_);
    if (!file) {
      finish_with_error(file.error().message);
      return std::nullopt;
    }
    file_.emplace(std::move(*file));
    if (options_.resume && file_->is_resumable()) load_resume_state();
  }
  state_ = State::kGated;
  if (resumed_) {
    const auto first_open = std::find_if(resumed_->segments.begin(), resumed_->segments.end(),
                                         [](const Segment& s) { return s.next < s.end; });
    const std::string validator = resumed_->etag.empty() ? resumed_->last_modified : resumed_->etag;
    if (first_open == resumed_->segments.end()) {
      return Request{0, resumed_->length, std::nullopt, true, true, validator};
    }
    const auto index = static_cast<std::size_t>(first_open - resumed_->segments.begin());
    return Request{index, first_open->next, first_open->end, true, false, validator};
  }
  const bool may_range = !is_file_url_ && !options_.compressed && options_.segments > 1;
  if (!may_range) return Request{};
  return Request{0,    0,     std::max<std::uint64_t>(options_.segment_threshold_bytes, 1),
                 true, false, ""};
}

std::optional<Request> Job::segment_request(Clock::time_point now, bool may_steal) {
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].state == SegmentState::kPending && now >= ready_at_[i])
      return range_request(i, now);
  }
  if (!may_steal) return std::nullopt;
  const auto victim = pick_steal_victim(segments_, options_.min_steal_bytes, now);
  if (!victim) return std::nullopt;
  segments_.push_back(split_segment(segments_[*victim]));
  ready_at_.push_back(now);
  return range_request(segments_.size() - 1, now);
}

Request Job::range_request(std::size_t index, Clock::time_point now) {
  Segment& segment = segments_[index];
  activate(segment, now);
  return Request{index, segment.next, segment.end,
                 true,  false,        etag_.empty() ? last_modified_ : etag_};
}

void Job::load_resume_state() {
  auto state = load_control(file_->control_path());
  const auto size = file_->size();
  const bool has_validator = state && !(state->etag.empty() && state->last_modified.empty());
  if (!state || state->url != record_.url || !size || *size != state->length || !has_validator) {
    return;  // nothing usable: start from zero
  }
  resumed_ = std::move(state);
}

void Job::on_done(Transfer& transfer, CURLcode code, Clock::time_point now) {
  if (transfer.generation != generation_ || is_finished()) return;
  if (!transfer.is_checked && code == CURLE_OK && !transfer.error) {
    transfer.is_checked = true;
    transfer.error = check_response(transfer);
    if (transfer.generation != generation_ || is_finished()) return;  // restarted or failed
  }
  const bool ended_well =
      code == CURLE_OK || (code == CURLE_WRITE_ERROR && transfer.is_stopped_at_end);
  if (transfer.error || !ended_well) {
    TransferError error = transfer.error.value_or(
        TransferError{transfer.curl_message(code), is_transient_curl_error(code)});
    if (code == CURLE_FILESIZE_EXCEEDED && !transfer.error) {  // libcurl saw the Content-Length
      error.message =
          "body exceeds --max-filesize (" + std::to_string(options_.max_filesize_bytes) + " bytes)";
    }
    failed(error, parse_retry_after(transfer.headers().retry_after), transfer.segment, now);
    return;
  }
  segment_finished(transfer, now);
}

void Job::segment_finished(Transfer& transfer, Clock::time_point now) {
  if (state_ == State::kGated) {  // a body-less answer such as the 416 confirming a complete file
    state_ = State::kRunning;
  }
  if (transfer.request().expects_complete) {
    finish();
    return;
  }
  Segment& segment = segments_[transfer.segment];
  if (!total_ && !is_segmented_) segment.end = segment.next;  // a stream of unannounced length
  if (segment.next == segment.end) {
    segment.state = SegmentState::kDone;
  } else if (transfer.received == 0) {
    failed(TransferError{"206 response ended before the requested range", true}, std::nullopt,
           transfer.segment, now);
    return;
  } else {
    segment.state = SegmentState::kPending;  // a shorter 206 than asked for: fetch the rest
    ready_at_[transfer.segment] = now;
  }
  if (all_done(segments_)) finish();
}

void Job::failed(const TransferError& error, std::optional<std::uint64_t> retry_after_s,
                 std::size_t segment, Clock::time_point now) {
  attempt_errors_.push_back(error.message);
  if (!error.is_transient || failed_attempts_ >= options_.retry.retries) {
    finish_with_error(describe_attempts(attempt_errors_));
    return;
  }
  ++failed_attempts_;
  const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(jitter_);
  const auto delay = std::chrono::milliseconds(
      retry_delay_ms(options_.retry, failed_attempts_, retry_after_s, jitter));
  logger_.debug(record_.url + ": " + error.message + "; retrying in " +
                std::to_string(delay.count()) + " ms");
  if (error.is_busy) busy_wait_ = delay;
  // Without working ranges the only way to go on is from the start.
  if (state_ != State::kRunning || !ranges_work_) {
    state_ = State::kFresh;
    gate_ready_at_ = now + delay;
    return;
  }
  segments_[segment].state = SegmentState::kPending;
  ready_at_[segment] = now + delay;
}

// A changed file cannot be pieced together from old and new bytes: drop what was written and
// probe again. Bounded separately from --retries: a server whose validator changes on every
// request would otherwise restart forever.
void Job::restart(const std::string& reason, Clock::time_point now) {
  constexpr int kMaxRestarts = 3;
  logger_.warning(record_.url + ": " + reason + "; starting again from zero");
  ++generation_;
  state_ = State::kFresh;
  gate_ready_at_ = now;
  resumed_.reset();
  is_segmented_ = false;
  ranges_work_ = false;
  total_.reset();
  segments_.clear();
  ready_at_.clear();
  forget_control_file();
  if (auto ok = file_->truncate(0); !ok) return finish_with_error(ok.error().message);
  if (++restarts_ > kMaxRestarts)
    finish_with_error(reason + " (" + std::to_string(kMaxRestarts) + " restarts)");
}

void Job::finish() {
  const std::uint64_t size = bytes_done(segments_);
  if (total_ && size != *total_) {
    finish_with_error("finished with " + std::to_string(size) + " bytes, expected " +
                      std::to_string(*total_));
    return;
  }
  if (auto ok = file_->truncate(size); !ok) return finish_with_error(ok.error().message);
  saver_.forget(file_->control_path());
  const std::string final_path =
      options_.files_dir + "/" +
      build_file_name(record_.id, record_.url, content_type_, disposition_filename(disposition_));
  if (auto ok = file_->commit_as(final_path); !ok) return finish_with_error(ok.error().message);
  ++generation_;
  result_ = DownloadedFile{final_path, size, content_type_, final_url_};
}

void Job::finish_with_error(std::string message) {
  ++generation_;
  result_ = fail(std::move(message));
  if (file_) saver_.forget(file_->control_path());
  file_.reset();  // removes the part file and its control file
}

ControlState Job::control_state() const {
  ControlState state{record_.url, total_.value_or(0), etag_, last_modified_, segments_};
  std::sort(state.segments.begin(), state.segments.end(),
            [](const Segment& a, const Segment& b) { return a.begin < b.begin; });
  return state;
}

bool Job::is_resumable() const {
  // Without a validator a later run could not tell whether the bytes still belong to the file.
  return is_segmented_ && file_ && file_->is_resumable() && !is_finished() &&
         state_ == State::kRunning && !(etag_.empty() && last_modified_.empty());
}

void Job::save_progress() {
  if (!is_resumable()) return;
  auto fd = file_->duplicate_fd();
  // A checkpoint only (as in keep_for_resume): without a descriptor it is skipped, not a stop.
  if (!fd) return logger_.warning(fd.error().message + "; progress not saved");
  saver_.submit(file_->control_path(), std::move(*fd), control_state());
}

void Job::forget_control_file() {
  saver_.forget(file_->control_path());
  ::unlink(file_->control_path().c_str());
}

void Job::keep_for_resume() {
  if (!is_resumable()) return;
  saver_.forget(file_->control_path());
  // Data first: the control file must never claim bytes that are still only in the page cache.
  if (auto ok = file_->sync_data(); !ok) return logger_.warning(ok.error().message);
  if (auto ok = save_control(file_->control_path(), control_state()); !ok) {
    return logger_.warning(ok.error().message);
  }
  file_->keep();
}

}  // namespace dupipe::fetcher
