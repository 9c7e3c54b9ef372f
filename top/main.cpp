// dupipe-top: a live, top-like view of a running dupipe pipeline: one row per process (pid, role,
// state, rate, current item), one per link (transport, fill level), totals and ETA.
#include <curses.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "common/base/exit_code.hpp"
#include "common/base/version.hpp"
#include "common/os/signals.hpp"
#include "top/monitor.hpp"
#include "top/rate_window.hpp"
#include "top/recorder.hpp"
#include "top/render.hpp"

namespace {

namespace top = dupipe::top;
using namespace std::chrono_literals;

// Rates and the ETA on screen are measured over this much of the run (top/rate_window.hpp).
constexpr std::chrono::milliseconds kRateSpan = 2s;

const std::map<std::string, top::SortKey> kSorts{{"start", top::SortKey::kStart},
                                                 {"role", top::SortKey::kRole},
                                                 {"rate", top::SortKey::kRate},
                                                 {"pid", top::SortKey::kPid}};

std::string sort_name(top::SortKey key) {
  for (const auto& [name, value] : kSorts) {
    if (value == key) return name;
  }
  return "?";
}

top::SortKey next_sort(top::SortKey key) {
  switch (key) {
    case top::SortKey::kStart:
      return top::SortKey::kRole;
    case top::SortKey::kRole:
      return top::SortKey::kRate;
    case top::SortKey::kRate:
      return top::SortKey::kPid;
    case top::SortKey::kPid:
      return top::SortKey::kStart;
  }
  return top::SortKey::kStart;
}

// initscr() on construction, endwin() on every way out, so the terminal is always restored.
class CursesSession {
 public:
  explicit CursesSession(int interval_ms) {
    initscr();
    cbreak();
    noecho();
    curs_set(0);
    timeout(interval_ms);
  }
  CursesSession(const CursesSession&) = delete;
  CursesSession& operator=(const CursesSession&) = delete;
  ~CursesSession() { endwin(); }
};

int run_curses(const std::string& run_dir, int interval_ms, top::SortKey sort) {
  const CursesSession session(interval_ms);
  top::RateWindow window(kRateSpan);
  bool was_ended = false;
  while (dupipe::stop_signal() == 0) {
    window.add(top::sample_run(run_dir));
    const top::RunSample& now = window.newest();
    const top::Screen screen = top::build_screen(now, window.base(), sort);
    erase();
    const auto lines =
        top::render(screen, run_dir, sort_name(sort), static_cast<std::size_t>(COLS));
    for (std::size_t i = 0; i < lines.size() && static_cast<int>(i) < LINES; ++i) {
      mvaddstr(static_cast<int>(i), 0, lines[i].c_str());
    }
    refresh();
    if (!now.problem.empty() && was_ended) return 0;  // the run ended (seen twice)
    was_ended = !now.problem.empty();
    const int key = getch();  // waits interval_ms
    if (key == 'q' || key == 'Q') return 0;
    if (key == 's' || key == 'S') sort = next_sort(sort);
  }
  return 128 + dupipe::stop_signal();
}

int print_once(const std::string& run_dir, int interval_ms, top::SortKey sort) {
  const top::RunSample first = top::sample_run(run_dir);
  ::usleep(static_cast<useconds_t>(interval_ms) * 1000);  // a second sample gives the rates
  const top::RunSample second = top::sample_run(run_dir);
  for (const std::string& line :
       top::render(top::build_screen(second, &first, sort), run_dir, sort_name(sort), 200)) {
    std::cout << line << '\n';
  }
  return 0;
}

std::optional<std::string> find_run(const std::string& given) {
  if (!given.empty()) {
    if (std::filesystem::exists(std::filesystem::path(given) / "pids")) return given;
    std::cerr << "dupipe-top: " << given << " is not a dupipe run directory (no pids file)\n";
    return std::nullopt;
  }
  const char* tmp = std::getenv("TMPDIR");
  const auto runs = top::live_runs(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
  if (runs.size() == 1) return runs.front().string();
  std::cerr << "dupipe-top: "
            << (runs.empty() ? "no running dupipe pipeline found" : "several runs:");
  for (const auto& run : runs) std::cerr << ' ' << run.string();
  std::cerr << (runs.empty() ? "" : "; name one") << '\n';
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  std::string run_dir;
  bool is_once = false;
  top::RecorderOptions recorder;
  int interval_ms = 500;
  top::SortKey sort = top::SortKey::kStart;
  CLI::App app{
      "dupipe-top: live view of a running dupipe pipeline (processes, links, totals).\n"
      "Keys: q quit, s change the sort order."};
  app.set_version_flag("--version", dupipe::version_line());
  app.add_option("run_dir", run_dir,
                 "The run directory (run_pipeline.sh prints it); default: the only live one");
  app.add_flag("--once", is_once, "Print one snapshot as text and exit (no terminal needed)");
  app.add_option("--record", recorder.timeline_path,
                 "No screen: append a sample per interval to FILE (JSON lines) until the run ends");
  app.add_flag("--progress", recorder.show_progress,
               "No screen: redraw a one-line progress bar on stdout until the run ends");
  app.add_option("--interval-ms", interval_ms, "Refresh interval")
      ->capture_default_str()
      ->check(CLI::Range(100, 10000));
  app.add_option("--sort", sort, "start, role, rate or pid")
      ->transform(CLI::CheckedTransformer(kSorts));
  app.footer("\nExit codes: 0 done, 2 bad usage or no run found, 130/143 interrupted.");
  CLI11_PARSE(app, argc, argv);

  const auto run = find_run(run_dir);
  if (!run) return dupipe::to_int(dupipe::ExitCode::kUsage);
  dupipe::install_stop_handlers();
  if (!recorder.timeline_path.empty() || recorder.show_progress) {
    recorder.run_dir = *run;
    recorder.interval_ms = interval_ms;
    return top::run_recorder(recorder, std::cout);
  }
  return is_once ? print_once(*run, interval_ms, sort) : run_curses(*run, interval_ms, sort);
}
