// OUT/report.html from OUT/report.json and, when there is one, the timeline OUT/timeline.jsonl:
// what dupipe-html does, and what the supervisor does in-process when a URL-mode run ends (a
// process start less on the run's critical path).
#pragma once

#include <string>

namespace dupipe::htmlreport {

// Writes OUT/report.html atomically; throws FatalError naming the file and the cause.
void write_report_file(const std::string& out_dir);

}  // namespace dupipe::htmlreport
