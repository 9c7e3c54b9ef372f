// dupipe-top without a screen, as the launcher runs it next to every URL-mode run: every interval
// it samples the run's live counters, appends them to a timeline file (one JSON object per line,
// the source of the timeline in OUT/report.html) and, on a terminal, redraws the progress line.
// It ends when the run's counters are gone or on SIGTERM (after one last sample).
#pragma once

#include <ostream>
#include <string>

#include "top/monitor.hpp"

namespace dupipe::top {

struct RecorderOptions {
  std::string run_dir;
  std::string timeline_path;   // empty: no timeline
  bool show_progress = false;  // on `progress_out`
  int interval_ms = 100;       // at least 100: the progress line changes at most 10 times a second
};

// {"t_ns":..,"stages":[{"pid","role","activity","since_ns","in","out","failures","payload",
//  "alive"}...],"links":[{"name","queued","capacity"}...]} on one line.
[[nodiscard]] std::string timeline_json(const RunSample& sample);

[[nodiscard]] int run_recorder(const RecorderOptions& options, std::ostream& progress_out);

}  // namespace dupipe::top
