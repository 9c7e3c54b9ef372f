#include "common/observe/trace_spans.hpp"

#include <functional>

namespace dupipe {
namespace {

std::string span_name(std::string_view line, std::string_view id) {
  if (id.empty()) return "line";
  std::string name(1, line.front());
  name += ' ';
  name += id;
  return name;
}

TraceSpan blocked_span(std::string_view what, std::uint64_t begin_ns, std::uint64_t end_ns,
                       std::uint32_t track) {
  return TraceSpan{
      std::string("blocked on ") + std::string(what), "blocked", begin_ns, end_ns, track, {}};
}

}  // namespace

std::string_view record_id(std::string_view line) {
  if (line.size() < 3 || line[0] < 'A' || line[0] > 'Z' || line[1] != '\t') return {};
  const std::string_view rest = line.substr(2);
  return rest.substr(0, rest.find('\t'));
}

void TraceSpans::read(std::uint64_t begin_ns, std::uint64_t end_ns, const std::string* line,
                      std::vector<TraceSpan>& out) {
  const bool is_sequential = end_ == RecordSpanEnd::kNextRead;
  if (is_sequential) {  // asking for the next record: the stage is done with the previous one
    while (!open_.empty()) end_span(open_.size() - 1, begin_ns, out);
  }
  if (end_ns - begin_ns >= kBlockedSpanNs) {
    out.push_back(blocked_span("read", begin_ns, end_ns, is_sequential ? kMainTrack : kInputTrack));
  }
  if (line == nullptr) return;
  const std::string_view id = record_id(*line);
  Open record{std::string(id), std::hash<std::string_view>{}(*line), {}};
  record.span = TraceSpan{span_name(*line, id),
                          "record",
                          end_ns,
                          end_ns,
                          is_sequential ? kMainTrack : take_lane(end_ns),
                          line->substr(0, kTraceItemBytes)};
  open_.push_back(std::move(record));
}

void TraceSpans::wrote(std::uint64_t begin_ns, std::uint64_t end_ns, std::string_view line,
                       std::vector<TraceSpan>& out) {
  if (end_ns - begin_ns >= kBlockedSpanNs) {
    out.push_back(blocked_span("write", begin_ns, end_ns, kMainTrack));
  }
  if (end_ != RecordSpanEnd::kMatchingOutput) return;
  // A batch joins records with LF, which never occurs inside an encoded record.
  for (std::size_t start = 0; start <= line.size();) {
    const std::size_t stop = std::min(line.find('\n', start), line.size());
    close_matching(line.substr(start, stop - start), end_ns, out);
    start = stop + 1;
  }
}

void TraceSpans::finish(std::uint64_t now_ns, std::vector<TraceSpan>& out) {
  while (!open_.empty()) end_span(open_.size() - 1, now_ns, out);
}

void TraceSpans::end_span(std::size_t index, std::uint64_t end_ns, std::vector<TraceSpan>& out) {
  TraceSpan span = std::move(open_[index].span);
  span.end_ns = std::max(end_ns, span.begin_ns);
  if (span.track >= kFirstLaneTrack) {
    lane_busy_[span.track - kFirstLaneTrack] = false;
    lane_free_ns_[span.track - kFirstLaneTrack] = span.end_ns;
  }
  out.push_back(std::move(span));
  open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(index));
}

// A record passed through unchanged (an F record) closes the span of that very line; any other
// record with the id closes the oldest span of the id (the producer writes an F record for a
// repeated URL under the id of its first occurrence, so one id can be in flight twice).
void TraceSpans::close_matching(std::string_view record, std::uint64_t end_ns,
                                std::vector<TraceSpan>& out) {
  const std::string_view id = record_id(record);
  if (id.empty()) return;
  const std::size_t hash = std::hash<std::string_view>{}(record);
  std::size_t first = open_.size();
  for (std::size_t i = 0; i < open_.size(); ++i) {
    if (open_[i].id != id) continue;
    if (open_[i].line_hash == hash) return end_span(i, end_ns, out);
    if (first == open_.size()) first = i;
  }
  if (first != open_.size()) end_span(first, end_ns, out);
}

// The reading thread takes its timestamp before the recorder's lock, so a read can arrive after a
// span that ended later than it began: such a lane is not free yet for it (spans of a lane must
// not overlap).
std::uint32_t TraceSpans::take_lane(std::uint64_t from_ns) {
  std::size_t lane = 0;
  while (lane < lane_busy_.size() && (lane_busy_[lane] || lane_free_ns_[lane] > from_ns)) ++lane;
  if (lane == lane_busy_.size()) {
    lane_busy_.push_back(false);
    lane_free_ns_.push_back(0);
  }
  lane_busy_[lane] = true;
  return kFirstLaneTrack + static_cast<std::uint32_t>(lane);
}

}  // namespace dupipe
