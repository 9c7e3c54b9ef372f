// The timeline of OUT/report.html: reads OUT/timeline.jsonl (the live counters sampled every
// 100 ms by dupipe-top --record) into one lane per process, whose segments say what the process
// was doing (working, waiting for input, waiting to write, idle), and one fill series per link;
// timeline_svg draws them as an inline SVG chart. Pure apart from reading the stream.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace dupipe::htmlreport {

enum class LaneState { kIdle, kWorking, kWaitingForInput, kWaitingToWrite };

struct Segment {
  double begin_s = 0;
  double end_s = 0;
  LaneState state = LaneState::kIdle;
};

struct ProcessLane {
  std::int64_t pid = 0;
  std::string role;
  std::vector<Segment> segments;  // in time order, neighbours of equal state merged
  std::uint64_t records_in = 0;   // at the last sample
  std::uint64_t records_out = 0;
  std::uint64_t failures = 0;
};

struct LinkSeries {
  std::string name;
  std::vector<std::pair<double, double>> fill;  // (seconds, queued / capacity in 0..1)
};

struct Timeline {
  double duration_s = 0;
  std::vector<ProcessLane> processes;  // in order of first appearance
  std::vector<LinkSeries> links;
};

// Lines that do not parse are skipped (a recorder stopped mid-line leaves a torn last one).
[[nodiscard]] Timeline read_timeline(std::istream& lines);

[[nodiscard]] std::string timeline_svg(const Timeline& timeline);

}  // namespace dupipe::htmlreport
