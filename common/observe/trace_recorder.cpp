#include "common/observe/trace_recorder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/base/error.hpp"
#include "common/observe/stage_stats.hpp"
#include "common/os/sys.hpp"

namespace dupipe {
namespace {

constexpr std::int64_t kSyntheticTidBase = std::int64_t{1} << 30;
constexpr std::uint32_t kTracksPerProcess = 64;  // pid_max (2^22) x 64 + 2^30 < 2^31

// Records and file names are hostile bytes. ASCII (nearly every record) is escaped here, cheaply;
// text with other bytes goes through nlohmann, which makes invalid UTF-8 U+FFFD instead of a throw.
void append_json_string(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      out += nlohmann::json(std::string(text))
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
    }
  }
  out += '"';
  std::size_t plain_from = 0;  // runs of plain bytes are appended at once
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain_from, i - plain_from));
    plain_from = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else {
      std::array<char, 8> escape{};
      std::snprintf(escape.data(), escape.size(), "\\u%04x", static_cast<unsigned>(c));
      out += escape.data();
    }
  }
  out.append(text.substr(plain_from));
  out += '"';
}

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

void append_microseconds(std::string& out, std::uint64_t ns) {  // exact decimal, no rounding
  std::array<char, 24> digits{};
  const auto whole = std::to_chars(digits.data(), digits.data() + digits.size(), ns / 1000).ptr;
  out.append(digits.data(), whole);
  const auto fraction = static_cast<unsigned>(ns % 1000);
  out += '.';
  out += static_cast<char>('0' + fraction / 100);
  out += static_cast<char>('0' + fraction / 10 % 10);
  out += static_cast<char>('0' + fraction % 10);
}

void append_number(std::string& out, std::int64_t n) {
  std::array<char, 24> digits{};
  out.append(digits.data(), std::to_chars(digits.data(), digits.data() + digits.size(), n).ptr);
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
  std::string text;
  append_trace_event(text, span, pid);
  return text;
}

void append_trace_event(std::string& out, const TraceSpan& span, pid_t pid) {
  out += "{\"ph\":\"X\",\"cat\":";
  append_json_string(out, span.category);
  out += ",\"name\":";
  append_json_string(out, span.name);
  out += ",\"pid\":";
  append_number(out, pid);
  out += ",\"tid\":";
  append_number(out, trace_tid(pid, span.track));
  out += ",\"ts\":";
  append_microseconds(out, span.begin_ns);
  out += ",\"dur\":";
  append_microseconds(out, span.end_ns - span.begin_ns);
  if (!span.item.empty()) {
    out += ",\"args\":{\"item\":";
    append_json_string(out, span.item);
    out += '}';
  }
  out += '}';
}

std::unique_ptr<TraceRecorder> TraceRecorder::from_environment(std::string_view role,
                                                               const Logger& logger) {
  const char* dir = std::getenv(kTraceEnvironment);
  if (dir == nullptr || *dir == '\0') return nullptr;
  const pid_t pid = ::getpid();
  std::string path =
      std::string(dir) + "/" + std::string(role) + "-" + std::to_string(pid) + ".jsonl";
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
           ",\"tid\":" + std::to_string(tid) + ",\"args\":{\"" + std::string(key) + "\":" + value +
           "}}\n";
}

// Stops tracing (not the stage) when the file cannot be written: the trace is only a view.
void TraceRecorder::flush_locked() {
  for (const TraceSpan& span : pending_) {
    if (named_tracks_.insert(span.track).second) {
      append_metadata("thread_name", trace_tid(pid_, span.track), "name",
                      json_string(track_name(span.track)));
    }
    append_trace_event(text_, span, pid_);
    text_ += '\n';
  }
  pending_.clear();
  if (!file_.is_open() || text_.empty()) return text_.clear();
  // A regular file is always writable, so this never waits: no Interrupted out of the destructor.
  if (auto written = sys::write_all(file_.get(), text_, path_); !written) {
    logger_.warning(written.error().message + "; the trace of this stage stops here");
    file_.reset();
  }
  text_.clear();
}

}  // namespace dupipe
