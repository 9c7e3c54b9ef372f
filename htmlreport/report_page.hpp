// OUT/report.html: one self-contained page (inline CSS, inline script, inline SVG; a Content
// Security Policy forbids loading anything) with the report's summary, its duplicate groups
// (a table sortable by wasted bytes, size or copies), its failures, the processes' final counters
// and the timeline. Every string from the report is escaped. Pure: JSON in, HTML out.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "htmlreport/timeline.hpp"

namespace dupipe::htmlreport {

// `report` is OUT/report.json (docs/REPORT.md); FatalError if it is not a version 1 report.
[[nodiscard]] std::string report_page(const nlohmann::json& report, const Timeline& timeline);

}  // namespace dupipe::htmlreport
