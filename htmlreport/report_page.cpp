#include "htmlreport/report_page.hpp"

#include <algorithm>

#include "common/base/error.hpp"
#include "htmlreport/html_text.hpp"

namespace dupipe::htmlreport {
namespace {

using nlohmann::json;

constexpr const char* kHead = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>dupipe report</title>
<style>
body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f0f0f0}
th[data-sort]{cursor:pointer;text-decoration:underline dotted}
td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:.85em;word-break:break-all}
ul{margin:0;padding-left:1.2em}
</style></head><body>
)";

// Sorts the rows of the groups table by a numeric data attribute; a second click reverses. A
// fragment such as #sort=wasted-asc opens the page sorted (and lets a test drive the script).
constexpr const char* kScript = R"(<script>
function sortBy(th, descending) {
  const body = th.closest('table').tBodies[0];
  const key = th.dataset.sort;
  th.dataset.order = descending ? 'desc' : 'asc';
  const rows = Array.from(body.rows);
  rows.sort((a, b) => (Number(a.dataset[key]) - Number(b.dataset[key])) * (descending ? -1 : 1));
  for (const row of rows) body.appendChild(row);
}
for (const th of document.querySelectorAll('th[data-sort]')) {
  th.addEventListener('click', () => sortBy(th, th.dataset.order !== 'desc'));
}
const wanted = /^#sort=(wasted|size|copies)-(asc|desc)$/.exec(location.hash);
const header = wanted && document.querySelector('th[data-sort="' + wanted[1] + '"]');
if (header) sortBy(header, wanted[2] === 'desc');
</script>
)";

std::string text_of(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::uint64_t number_of(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return 0;
  return it->is_number_unsigned()
             ? it->get<std::uint64_t>()
             : static_cast<std::uint64_t>(std::max<std::int64_t>(0, it->get<std::int64_t>()));
}

std::string cell(const std::string& text) { return "<td>" + html_escape(text) + "</td>"; }
std::string number_cell(std::uint64_t n) {
  return "<td class=\"n\">" + std::to_string(n) + "</td>";
}

std::string summary_section(const json& report) {
  const json summary = report.value("summary", json::object());
  std::string html = "<h1>dupipe report</h1><h2>Summary</h2><table id=\"summary\">";
  for (const char* key :
       {"urls", "fetched", "failed", "rejected", "duplicate_groups", "duplicate_files"}) {
    html +=
        "<tr><th>" + std::string(key) + "</th>" + number_cell(number_of(summary, key)) + "</tr>";
  }
  const std::uint64_t wasted = number_of(summary, "wasted_bytes");
  html += "<tr><th>wasted_bytes</th><td class=\"n\">" + std::to_string(wasted) + " (" +
          human_bytes(wasted) + ")</td></tr><tr><th>algorithm</th>" +
          cell(text_of(report, "algorithm")) + "</tr></table>";
  return html;
}

std::string group_row(const json& group) {
  const json files = group.value("files", json::array());
  const std::uint64_t size = number_of(group, "size");
  const std::uint64_t copies = files.size();
  const std::uint64_t wasted = copies > 0 ? size * (copies - 1) : 0;
  std::string list = "<ul>";
  for (const json& file : files) {
    const std::string url = text_of(file, "url");
    list += "<li>" + (url.empty() ? "" : html_escape(url) + "<br>") + "<code>" +
            html_escape(text_of(file, "path")) + "</code></li>";
  }
  return "<tr class=\"group\" data-wasted=\"" + std::to_string(wasted) + "\" data-size=\"" +
         std::to_string(size) + "\" data-copies=\"" + std::to_string(copies) + "\">" +
         "<td class=\"n\" title=\"" + std::to_string(wasted) + " bytes\">" + human_bytes(wasted) +
         "</td><td class=\"n\">" + std::to_string(size) + "</td>" + number_cell(copies) +
         "<td><code class=\"digest\">" + html_escape(text_of(group, "digest")) +
         "</code></td><td>" + list + "</ul></td></tr>";
}

std::string groups_section(const json& report) {
  const json groups = report.value("groups", json::array());
  std::string html = "<h2>Duplicate groups (" + std::to_string(groups.size()) + ")</h2>";
  if (groups.empty()) return html + "<p>No duplicates.</p>";
  html +=
      "<p>Click a column with a dotted underline to sort by it.</p><table id=\"groups\">"
      "<thead><tr><th data-sort=\"wasted\" data-order=\"desc\">wasted bytes</th>"
      "<th data-sort=\"size\">size</th><th data-sort=\"copies\">copies</th><th>digest</th>"
      "<th>files</th></tr></thead><tbody>";
  for (const json& group : groups) html += group_row(group);
  return html + "</tbody></table>";
}

std::string failures_section(const json& report) {
  const json failures = report.value("failures", json::array());
  std::string html = "<h2>Failures (" + std::to_string(failures.size()) + ")</h2>";
  if (failures.empty()) return html + "<p>None.</p>";
  html +=
      "<table id=\"failures\"><thead><tr><th>stage</th><th>url or line</th><th>error</th>"
      "</tr></thead><tbody>";
  for (const json& f : failures) {
    html += "<tr class=\"failure\">" + cell(text_of(f, "stage")) + cell(text_of(f, "url")) +
            cell(text_of(f, "error")) + "</tr>";
  }
  return html + "</tbody></table>";
}

std::string processes_section(const Timeline& timeline) {
  std::string html = "<h2>Processes</h2>";
  if (timeline.processes.empty()) return html + "<p>No timeline was recorded.</p>";
  html += "<p>What each process was doing over the run (" + fixed(timeline.duration_s, 1) +
          " s, sampled every 100 ms by <code>dupipe-top --record</code>; hover for times).</p>" +
          timeline_svg(timeline) +
          "<table id=\"processes\"><thead><tr><th>pid</th><th>role</th><th>records in</th>"
          "<th>records out</th><th>failures out</th></tr></thead><tbody>";
  for (const ProcessLane& p : timeline.processes) {
    html += "<tr>" + number_cell(static_cast<std::uint64_t>(p.pid)) + cell(p.role) +
            number_cell(p.records_in) + number_cell(p.records_out) + number_cell(p.failures) +
            "</tr>";
  }
  return html + "</tbody></table>";
}

}  // namespace

std::string report_page(const json& report, const Timeline& timeline) {
  if (!report.is_object() || report.value("version", 0) != 1) {
    throw FatalError("not a version 1 dupipe report (docs/REPORT.md)");
  }
  return std::string(kHead) + summary_section(report) + groups_section(report) +
         failures_section(report) + processes_section(timeline) + kScript + "</body></html>\n";
}

}  // namespace dupipe::htmlreport
