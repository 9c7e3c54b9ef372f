// dupipe-html: writes OUT/report.html, one self-contained page, from OUT/report.json and (when
// present) the timeline OUT/timeline.jsonl, as the supervisor does when a URL-mode run ends; for
// rendering a report again, or one of another run.
#include <CLI/CLI.hpp>
#include <iostream>

#include "common/base/error.hpp"
#include "common/base/exit_code.hpp"
#include "common/base/version.hpp"
#include "htmlreport/report_file.hpp"

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
    dupipe::htmlreport::write_report_file(out_dir);
  } catch (const dupipe::FatalError& e) {
    std::cerr << "dupipe-html: " << e.what() << '\n';
    return dupipe::to_int(dupipe::ExitCode::kFailure);
  }
  return dupipe::to_int(dupipe::ExitCode::kOk);
}
