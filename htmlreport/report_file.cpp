#include "htmlreport/report_file.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/base/error.hpp"
#include "common/os/sys.hpp"
#include "htmlreport/report_page.hpp"
#include "htmlreport/timeline.hpp"

namespace dupipe::htmlreport {
namespace {

std::string make_page(const std::string& out_dir) {
  std::ifstream report_file(out_dir + "/report.json");
  if (!report_file) throw FatalError(out_dir + "/report.json: cannot be read");
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(report_file);
  } catch (const nlohmann::json::exception& e) {
    throw FatalError(out_dir + "/report.json: " + e.what());
  }
  std::ifstream timeline_file(out_dir + "/timeline.jsonl");  // optional
  const auto timeline = read_timeline(timeline_file);
  try {
    return report_page(report, timeline);
  } catch (const std::exception& e) {  // FatalError or a JSON value of the wrong type
    throw FatalError(out_dir + "/report.json: " + e.what());
  }
}

}  // namespace

void write_report_file(const std::string& out_dir) {
  value_or_fatal(sys::write_file_atomically(out_dir + "/report.html", make_page(out_dir)));
}

}  // namespace dupipe::htmlreport
