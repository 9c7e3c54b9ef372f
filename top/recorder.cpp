#include "top/recorder.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/base/exit_code.hpp"
#include "common/os/signals.hpp"
#include "top/progress.hpp"

namespace dupipe::top {
namespace {

std::size_t terminal_width() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 10) return size.ws_col - 1;
  return 100;
}

nlohmann::json optional_json(const std::optional<std::uint64_t>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::string timeline_json(const RunSample& sample) {
  nlohmann::json stages = nlohmann::json::array();
  for (const StageSnapshot& s : sample.stages) {
    stages.push_back({{"pid", s.pid},
                      {"role", s.role},
                      {"activity", std::string(activity_name(s.activity))},
                      {"since_ns", s.activity_since_ns},
                      {"in", s.records_in},
                      {"out", s.records_out},
                      {"failures", s.failures_out},
                      {"payload", s.payload_bytes},
                      {"alive", s.is_alive}});
  }
  nlohmann::json links = nlohmann::json::array();
  for (const LinkSample& l : sample.links) {
    links.push_back({{"name", l.name},
                     {"queued", optional_json(l.queued_bytes)},
                     {"capacity", optional_json(l.capacity_bytes)}});
  }
  const nlohmann::json line{{"t_ns", sample.now_ns}, {"stages", stages}, {"links", links}};
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int run_recorder(const RecorderOptions& options, std::ostream& progress_out) {
  std::ofstream timeline;
  if (!options.timeline_path.empty()) {
    timeline.open(options.timeline_path, std::ios::trunc);
    if (!timeline) {
      std::cerr << "dupipe-top: cannot write " << options.timeline_path << '\n';
      return to_int(ExitCode::kUsage);
    }
  }
  const RunSample first = sample_run(options.run_dir);
  RunSample now = first;
  bool was_gone = false;
  for (bool is_last = false;; now = sample_run(options.run_dir)) {
    const bool is_gone = !now.problem.empty();
    if (timeline.is_open() && !is_gone) timeline << timeline_json(now) << '\n' << std::flush;
    if (options.show_progress && !is_gone) {  // CR and erase-to-end: the line is redrawn in place
      progress_out << '\r' << progress_line(progress_of(now, first), terminal_width()) << "\033[K"
                   << std::flush;
    }
    if (is_last || (is_gone && was_gone)) break;
    was_gone = is_gone;
    ::usleep(static_cast<useconds_t>(options.interval_ms) * 1000);  // a signal ends it early
    is_last = stop_signal() != 0;  // SIGTERM from the launcher: one last sample, then stop
  }
  if (options.show_progress) progress_out << '\n' << std::flush;
  return to_int(ExitCode::kOk);
}

}  // namespace dupipe::top
