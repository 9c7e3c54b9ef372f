// --trace for one stage process: collects the spans of TraceSpans in memory and appends them, as
// Chrome trace-event JSON objects (one per line), to DIR/ROLE-PID.jsonl in the directory named
// by DUPIPE_TRACE_DIR; the launcher merges the files of a run into one trace. Memory is bounded
// (a write every kFlushSpans spans) and a failing trace file only costs the trace, never the run.
// Thread-safe: the fetcher reads on one thread and writes on another.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/logger.hpp"
#include "common/observe/trace_spans.hpp"
#include "common/os/unique_fd.hpp"

namespace dupipe {

inline constexpr const char* kTraceEnvironment = "DUPIPE_TRACE_DIR";
inline constexpr std::size_t kFlushSpans = 1024;

class TraceRecorder {
 public:
  // The recorder of a stage called `role` when DUPIPE_TRACE_DIR is set, else nullptr; a file
  // that cannot be created is a warning.
  [[nodiscard]] static std::unique_ptr<TraceRecorder> from_environment(std::string_view role,
                                                                       const Logger& logger);
  TraceRecorder(UniqueFd file, std::string path, std::string_view role, pid_t pid,
                const Logger& logger);
  TraceRecorder(const TraceRecorder&) = delete;
  TraceRecorder& operator=(const TraceRecorder&) = delete;
  ~TraceRecorder();  // ends the open record spans and writes what is left

  void set_span_end(RecordSpanEnd end);
  void read(std::uint64_t begin_ns, std::uint64_t end_ns, const std::string* line);
  void wrote(std::uint64_t begin_ns, std::uint64_t end_ns, std::string_view line);

 private:
  void flush_locked();
  void append_metadata(std::string_view kind, std::int64_t tid, std::string_view key,
                       const std::string& value);

  std::mutex mutex_;
  UniqueFd file_;
  std::string path_;
  std::string role_;
  pid_t pid_;
  const Logger& logger_;
  TraceSpans spans_;
  std::vector<TraceSpan> pending_;
  std::set<std::uint32_t> named_tracks_;
  std::string text_;  // serialised, not yet written
};

// The trace-event "tid" of a track: the pid for the main track, numbers above 2^30 (which no
// real thread id reaches) for the input track and the record lanes.
[[nodiscard]] std::int64_t trace_tid(pid_t pid, std::uint32_t track);

// One span as a Chrome trace-event "X" object (microseconds), without a trailing newline.
[[nodiscard]] std::string trace_event_json(const TraceSpan& span, pid_t pid);
void append_trace_event(std::string& out, const TraceSpan& span, pid_t pid);

}  // namespace dupipe
