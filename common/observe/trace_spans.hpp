// The pure core of --trace: turns a stage's endpoint calls (when a read or write began and ended,
// and which line it moved) into trace spans: one "record" span per record read, and "blocked"
// spans for reads and writes that waited. Knows nothing of files or JSON (trace_recorder.hpp).
// Not thread-safe: the recorder serialises the calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dupipe {

// When a record's span ends. kNextRead: the stage asks for the next record (stages that handle one
// record at a time: producer, hasher, aggregator). kMatchingOutput: the stage writes a record with
// the same id (the fetcher reads ahead and has many records in flight).
enum class RecordSpanEnd { kNextRead, kMatchingOutput };

// Tracks of one process. kMain is the thread that writes (and, in kNextRead mode, reads and holds
// the records); kInput the fetcher's reading thread; record lanes follow, one per record in flight.
inline constexpr std::uint32_t kMainTrack = 0;
inline constexpr std::uint32_t kInputTrack = 1;
inline constexpr std::uint32_t kFirstLaneTrack = 2;

// A read or write that took longer than this is drawn as a blocked span: a read served from a
// buffer takes about a microsecond, one that has to wait for a writer needs a wake-up, tens of us.
inline constexpr std::uint64_t kBlockedSpanNs = 50'000;

inline constexpr std::size_t kTraceItemBytes = 160;  // of the line, kept as the span's argument

struct TraceSpan {
  std::string name;      // "U 4ff24996bbeea37b", "line", "blocked on read"
  std::string category;  // "record" or "blocked"
  std::uint64_t begin_ns = 0;
  std::uint64_t end_ns = 0;
  std::uint32_t track = kMainTrack;
  std::string item;  // the record (cut to kTraceItemBytes); empty for blocked spans
};

class TraceSpans {
 public:
  explicit TraceSpans(RecordSpanEnd end = RecordSpanEnd::kNextRead) : end_(end) {}
  void set_end(RecordSpanEnd end) { end_ = end; }

  // A read_line call from begin_ns to end_ns that returned `line` (nullptr: end of stream).
  void read(std::uint64_t begin_ns, std::uint64_t end_ns, const std::string* line,
            std::vector<TraceSpan>& out);
  // A write_line call; `line` may be a batch of records joined by LF.
  void wrote(std::uint64_t begin_ns, std::uint64_t end_ns, std::string_view line,
             std::vector<TraceSpan>& out);
  // Ends every record span still open (the stage is finishing).
  void finish(std::uint64_t now_ns, std::vector<TraceSpan>& out);

  [[nodiscard]] std::size_t open_count() const { return open_.size(); }

 private:
  struct Open {
    std::string id;  // the record's id field; empty for a bare line
    std::size_t line_hash = 0;
    TraceSpan span;
  };
  void end_span(std::size_t index, std::uint64_t end_ns, std::vector<TraceSpan>& out);
  void close_matching(std::string_view record, std::uint64_t end_ns, std::vector<TraceSpan>& out);
  [[nodiscard]] std::uint32_t take_lane(std::uint64_t from_ns);

  RecordSpanEnd end_;
  std::vector<Open> open_;                   // few: one per record in flight
  std::vector<bool> lane_busy_;              // record lanes in use (kMatchingOutput)
  std::vector<std::uint64_t> lane_free_ns_;  // when each lane's last span ended
};

// The id field of an encoded record ("U\tID\t..."), or empty for a line that is not a record.
[[nodiscard]] std::string_view record_id(std::string_view line);

}  // namespace dupipe
