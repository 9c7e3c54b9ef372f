#include "common/trace_recorder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/stage_stats.hpp"
#include "common/sys.hpp"

namespace dupipe {
namespace {

constexpr std::int64_t kSyntheticTidBase = std::int64_t{1} << 30;
constexpr std::uint32_t kTracksPerProcess = 64;  // pid_max (2^22) x 64 + 2^30 < 2^31

// Records and file names are hostile bytes: invalid UTF-8 becomes U+FFFD instead of a throw.
std::string json_string(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string microseconds(std::uint64_t ns) {  // exact decimal text, no double rounding
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%llu.%03llu",
                static_cast<unsigned long long>(ns / 1000),
                static_cast<unsigned long long>(ns % 1000));
  return text.data();
}

std::string track_name(std::uint32_t track) {
  if (track == kMainTrack) return "main";
  if (track == kInputTrack) return "input";
  return "records in flight " + std::to_string(track - kFirstLaneTrack + 1);
}

int pipeline_position(std::string_view role) {  // Perfetto orders processes by this
  constexpr std::array<std::string_view, 4> kOrder{"producer", "fetcher", "hasher", "aggregator"};
  for (std::size_t i = 0; i < kOrder.size(); ++i) {
    if (kOrder[i] == role) return static_cast<int>(i);
  }
  return static_cast<int>(kOrder.size());
}

}  // namespace

std::int64_t trace_tid(pid_t pid, std::uint32_t track) {
  if (track == kMainTrack) return pid;
  const std::uint32_t slot = std::min(track, kTracksPerProcess) - 1;  // lanes beyond 63 share
  return kSyntheticTidBase + std::int64_t{pid} * kTracksPerProcess + slot;
}

std::string trace_event_json(const TraceSpan& span, pid_t pid) {
  std::string text = "{\"ph\":\"X\",\"cat\":" + json_string(span.category) +
                     ",\"name\":" + json_string(span.name) + ",\"pid\":" + std::to_string(pid) +
                     ",\"tid\":" + std::to_string(trace_tid(pid, span.track)) +
                     ",\"ts\":" + microseconds(span.begin_ns) +
                     ",\"dur\":" + microseconds(span.end_ns - span.begin_ns);
  if (!span.item.empty()) text += ",\"args\":{\"item\":" + json_string(span.item) + "}";
  return text + "}";
}

std::unique_ptr<TraceRecorder> TraceRecorder::from_environment(std::string_view role,
                                                               const Logger& logger) {
  const char* dir = std::getenv(kTraceEnvironment);
  if (dir == nullptr || *dir == '\0') return nullptr;
  const pid_t pid = ::getpid();
  std::string path = std::string(dir) + "/" + std::string(role) + "-" + std::to_string(pid) + ".jsonl";
  auto file = sys::open_file(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (!file) {
    logger.warning(file.error().message + "; running without a trace");
    return nullptr;
  }
  return std::make_unique<TraceRecorder>(std::move(*file), std::move(path), role, pid, logger);
}

TraceRecorder::TraceRecorder(UniqueFd file, std::string path, std::string_view role, pid_t pid,
                             const Logger& logger)
    : file_(std::move(file)), path_(std::move(path)), role_(role), pid_(pid), logger_(logger) {
  append_metadata("process_name", pid_, "name", json_string(role_));
  append_metadata("process_sort_index", pid_, "sort_index",
                  std::to_string(pipeline_position(role_)));
}

TraceRecorder::~TraceRecorder() {
  const std::lock_guard lock(mutex_);
  spans_.finish(monotonic_ns(), pending_);
  flush_locked();
}

void TraceRecorder::set_span_end(RecordSpanEnd end) {
  const std::lock_guard lock(mutex_);
  spans_.set_end(end);
}

void TraceRecorder::read(std::uint64_t begin_ns, std::uint64_t end_ns, const std::string* line) {
  const std::lock_guard lock(mutex_);
  spans_.read(begin_ns, end_ns, line, pending_);
  if (pending_.size() >= kFlushSpans) flush_locked();
}

void TraceRecorder::wrote(std::uint64_t begin_ns, std::uint64_t end_ns, std::string_view line) {
  const std::lock_guard lock(mutex_);
  spans_.wrote(begin_ns, end_ns, line, pending_);
  if (pending_.size() >= kFlushSpans) flush_locked();
}

void TraceRecorder::append_metadata(std::string_view kind, std::int64_t tid, std::string_view key,
                                    const std::string& value) {
  text_ += "{\"ph\":\"M\",\"name\":\"" + std::string(kind) + "\",\"pid\":" + std::to_string(pid_) +
           ",\"tid\":" + std::to_string(tid) + ",\"args\":{\"" + std::string(key) +
           "\":" + value + "}}\n";
}

// Stops tracing (not the stage) when the file cannot be written: the trace is only a view.
void TraceRecorder::flush_locked() {
  for (const TraceSpan& span : pending_) {
    if (named_tracks_.insert(span.track).second) {
      append_metadata("thread_name", trace_tid(pid_, span.track), "name",
                      json_string(track_name(span.track)));
    }
    text_ += trace_event_json(span, pid_);
    text_ += '\n';
  }
  pending_.clear();
  if (!file_.is_open() || text_.empty()) return text_.clear();
  try {
    sys::write_all(file_.get(), text_, path_);
  } catch (const std::exception& e) {
    logger_.warning(std::string(e.what()) + "; the trace of this stage stops here");
    file_.reset();
  }
  text_.clear();
}

}  // namespace dupipe
