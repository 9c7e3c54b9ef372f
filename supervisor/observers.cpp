#include "supervisor/observers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "common/base/error.hpp"
#include "common/os/unique_fd.hpp"
#include "htmlreport/report_file.hpp"
#include "shmctl/commands.hpp"
#include "supervisor/child_process.hpp"

namespace dupipe::supervisor {
namespace {

constexpr int kHelperGraceMs = 3000;  // from SIGTERM to SIGKILL for dupipe-top

bool is_whole_event(const std::string& line) {
  return line.size() >= 2 && line.front() == '{' && line.back() == '}';
}

}  // namespace

Observers::Observers(const LaunchOptions& options, std::string out_dir, const RunDirectory& run_dir,
                     const SignalWait& signals, const Say& say)
    : options_(options),
      out_dir_(std::move(out_dir)),
      run_dir_(run_dir),
      signals_(signals),
      say_(say) {}

Observers::~Observers() { stop(0); }

void Observers::prepare() {
  if (!options_.trace_file.empty()) {
    const std::string trace_dir = run_dir_.path() + "/trace";
    if (::mkdir(trace_dir.c_str(), 0700) != 0) throw_errno("cannot create " + trace_dir, errno);
    ::setenv("DUPIPE_TRACE_DIR", trace_dir.c_str(), 1);
  }
  if (options_.is_monitor) {
    say_("monitoring in this terminal; the stages' messages go to " + out_dir_ + "/run.log");
    // A log line would tear the ncurses screen.
    const std::string log = out_dir_ + "/run.log";
    UniqueFd file(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!file.is_open()) throw_errno("cannot open " + log, errno);
    saved_stderr_.reset(::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3));
    ::dup2(file.get(), STDERR_FILENO);
  }
}

void Observers::start(bool is_recording) {
  const std::string top = options_.bin_dir + "/dupipe-top";
  if (is_recording) {
    std::vector<std::string> argv{top, "--record", out_dir_ + "/timeline.jsonl", "--interval-ms",
                                  "100"};
    const bool shows_progress =
        options_.progress == Progress::kOn ||
        (options_.progress == Progress::kAuto && !options_.is_monitor && ::isatty(STDOUT_FILENO));
    if (shows_progress) argv.push_back("--progress");
    argv.push_back(run_dir_.path());
    recorder_ = spawn(argv, ChildIo{}, signals_.original_mask());
  }
  if (options_.is_monitor) {
    UniqueFd tty(::open("/dev/tty", O_RDONLY | O_CLOEXEC));
    monitor_ =
        spawn({top, "--interval-ms", "200", run_dir_.path()},
              ChildIo{tty.get(), STDOUT_FILENO, saved_stderr_.get()}, signals_.original_mask());
  }
}

// SIGTERM, then wait (the recorder takes a last sample; ncurses restores the terminal); SIGKILL
// after 3 s. The wait polls a pidfd, so it ends the moment the helper exits: a run's end is not
// delayed by a polling interval. A sweep of exited children may have reaped it already (ECHILD);
// without a pidfd (ESRCH: gone and reaped) there is nothing to wait for.
void Observers::stop_helper(pid_t& pid) const {
  if (pid <= 0) return;
  // The system call itself: glibc 2.36 declares pidfd_open without C linkage for C++.
  const UniqueFd exited(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  ::kill(pid, SIGTERM);
  int status = 0;
  if (exited.is_open()) {
    pollfd ready{exited.get(), POLLIN, 0};
    while (::poll(&ready, 1, kHelperGraceMs) < 0 && errno == EINTR) {
    }
    if (ready.revents == 0) ::kill(pid, SIGKILL);
  } else {  // no pidfd (a kernel before 5.3): look every 5 ms
    for (int waited = 0; waited < kHelperGraceMs; waited += 5) {
      const pid_t done = ::waitpid(pid, &status, WNOHANG);
      if (done == pid || (done < 0 && errno == ECHILD)) {
        pid = 0;
        return;
      }
      ::usleep(5'000);
    }
    ::kill(pid, SIGKILL);
  }
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  pid = 0;
}

void Observers::stop(int status) {
  stop_helper(monitor_);
  stop_helper(recorder_);
  if (!saved_stderr_.is_open()) return;
  ::dup2(saved_stderr_.get(), STDERR_FILENO);
  saved_stderr_.reset();
  say_("the stages' messages are in " + out_dir_ + "/run.log");
  if (status == 0) return;
  std::ifstream log(out_dir_ + "/run.log");
  std::vector<std::string> lines;
  for (std::string line; std::getline(log, line);) lines.push_back(line);
  for (std::size_t i = lines.size() > 3 ? lines.size() - 3 : 0; i < lines.size(); ++i) {
    std::cerr << lines[i] << '\n';
  }
}

void Observers::save_stage_counters(const std::string& stats_name) const {
  const std::string path = out_dir_ + "/stages.jsonl";
  try {
    {
      std::ofstream out(path + ".tmp", std::ios::trunc);
      shmctl::print_stages(stats_name, true, out);
      if (!out.flush()) throw FatalError("cannot write " + path + ".tmp");
    }
    std::filesystem::rename(path + ".tmp", path);
  } catch (const std::exception& error) {
    say_("could not save the stage counters to " + path + ": " + error.what());
  }
}

// One trace-event JSON file from the stages' files (each line one event). Only complete lines
// are taken: a stage killed while writing leaves at most a torn last line.
void Observers::merge_trace() const {
  const std::string trace_dir = run_dir_.path() + "/trace";
  if (options_.trace_file.empty() || !std::filesystem::is_directory(trace_dir)) return;
  std::vector<std::string> parts;
  for (const auto& entry : std::filesystem::directory_iterator(trace_dir)) {
    if (entry.path().extension() == ".jsonl") parts.push_back(entry.path().string());
  }
  std::sort(parts.begin(), parts.end());
  const std::string tmp = options_.trace_file + ".tmp." + std::to_string(::getpid());
  std::ofstream out(tmp, std::ios::trunc);
  out << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  bool is_first = true;
  for (const std::string& part : parts) {
    std::ifstream in(part);
    for (std::string line; std::getline(in, line);) {
      if (!is_whole_event(line)) continue;
      out << (is_first ? "" : ",\n") << line;
      is_first = false;
    }
  }
  out << (is_first ? "" : "\n") << "]}\n";
  std::error_code error;
  if (out.flush() && (out.close(), true) &&
      (std::filesystem::rename(tmp, options_.trace_file, error), !error)) {
    say_("trace: " + options_.trace_file + " (" + std::to_string(parts.size()) +
         " processes; open it in https://ui.perfetto.dev or chrome://tracing)");
  } else {
    std::filesystem::remove(tmp, error);
    say_("could not write the trace to " + options_.trace_file);
  }
}

// In-process, not by starting dupipe-html: the page is the last thing a run makes, so a process
// start there lengthens every run. The page is a view: when it fails, the run has still succeeded.
void Observers::write_html() const {
  try {
    htmlreport::write_report_file(out_dir_);
    std::cout << "HTML report: " << out_dir_ << "/report.html" << std::endl;
  } catch (const std::exception& error) {
    say_("could not write " + out_dir_ +
         "/report.html (the JSON and text reports are complete): " + error.what());
  }
}

}  // namespace dupipe::supervisor
