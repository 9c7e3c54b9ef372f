// dupipe-html: writes OUT/report.html, one self-contained page, from OUT/report.json and (when
// present) the timeline OUT/timeline.jsonl. The launcher runs it after the aggregator finished.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "common/base/exit_code.hpp"
#include "common/base/version.hpp"
#include "common/os/sys.hpp"
#include "htmlreport/report_page.hpp"

namespace {

std::string make_page(const std::string& out_dir) {
  std::ifstream report_file(out_dir + "/report.json");
  if (!report_file) throw dupipe::FatalError(out_dir + "/report.json: cannot be read");
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(report_file);
  } catch (const nlohmann::json::exception& e) {
    throw dupipe::FatalError(out_dir + "/report.json: " + e.what());
  }
  std::ifstream timeline_file(out_dir + "/timeline.jsonl");  // optional
  const auto timeline = dupipe::htmlreport::read_timeline(timeline_file);
  try {
    return dupipe::htmlreport::report_page(report, timeline);
  } catch (const std::exception& e) {  // FatalError or a JSON value of the wrong type
    throw dupipe::FatalError(out_dir + "/report.json: " + e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir = "dupipe-out";
  CLI::App app{
      "dupipe-html: writes OUT/report.html (summary, duplicate groups, failures, a\n"
      "timeline of each process) from OUT/report.json and OUT/timeline.jsonl."};
  app.set_version_flag("--version", dupipe::version_line());
  app.add_option("-o,--out", out_dir, "The run's output directory")->capture_default_str();
  app.footer(
      "\nExit codes: 0 written, 1 the report could not be read or the page written, "
      "2 bad usage.");
  CLI11_PARSE(app, argc, argv);
  try {
    const std::string page = make_page(out_dir);
    dupipe::value_or_fatal(dupipe::sys::write_file_atomically(out_dir + "/report.html", page));
  } catch (const dupipe::FatalError& e) {
    std::cerr << "dupipe-html: " << e.what() << '\n';
    return dupipe::to_int(dupipe::ExitCode::kFailure);
  }
  return dupipe::to_int(dupipe::ExitCode::kOk);
}
