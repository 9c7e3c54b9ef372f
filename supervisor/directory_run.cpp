// Directory mode: the directory topology, run as one pass; a process that dies ends the pass and
// the pass starts again from the walk (the grouper is a barrier over every file, so what a dead
// stage held cannot be re-fed alone), within each role's restart intensity. The report is the
// aggregator's; a run stopped by a signal writes none.
#include <signal.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/base/error.hpp"
#include "supervisor/launch.hpp"
#include "supervisor/mode_topologies.hpp"
#include "supervisor/pass_runner.hpp"
#include "supervisor/run_context.hpp"

namespace dupipe::supervisor {
namespace {

namespace fs = std::filesystem;

// Waits out a restart's backoff; a stop signal ends the wait. The signal, or 0.
int wait_backoff(SignalWait& signals, std::uint64_t delay_ms) {
  const std::uint64_t deadline = now_ms() + delay_ms;
  for (std::uint64_t now = now_ms(); now < deadline; now = now_ms()) {
    for (int signal_number : signals.wait(static_cast<int>(deadline - now))) {
      if (signal_number != SIGCHLD) return signal_number;
    }
  }
  return 0;
}

int run_passes(RunContext& run, const std::string& out_dir) {
  const LaunchOptions& o = run.options;
  const Topology topology = directory_topology(o, RunNames{run.run_dir.path(), o.run_id}, out_dir);
  for (std::uint32_t pass = 1;; ++pass) {
    run.mark_pass(pass, 0);
    PassRunner runner(topology, run.run_dir, run.signals, run.budget, run.say, o.shm_capacity);
    runner.create_links();
    const PassHooks hooks = run.pass_hooks(
        pass,
        [&] {
          run.say("run directory " + run.run_dir.path() + "; directory mode: walker, grouper, " +
                  std::to_string(o.hashers) + " hashers, aggregator; " +
                  describe_links(topology, o.shm_capacity));
        },
        false);
    const PassOutcome outcome = runner.run(hooks);
    if (outcome.end == PassEnd::kFinished) {
      if (run.budget.total() > 0) {
        run.say(std::to_string(run.budget.total()) + " stage restarts, " + std::to_string(pass) +
                " passes");
      }
      return 0;
    }
    if (outcome.end == PassEnd::kInterrupted) return interrupted_status(outcome.signal_number);
    if (outcome.end == PassEnd::kStageFailed) return 1;
    if (const int signal_number = wait_backoff(run.signals, outcome.restart_delay_ms);
        signal_number != 0) {
      const char* name = ::sigabbrev_np(signal_number);
      run.say(std::string("received SIG") + (name != nullptr ? name : "?") +
              "; stopping every stage");
      return interrupted_status(signal_number);
    }
  }
}

}  // namespace

int run_directory_mode(const LaunchOptions& o, const Say& say) {
  std::error_code error;
  fs::create_directories(o.out, error);
  const std::string out_dir = fs::canonical(o.out, error).string();
  if (error) {
    say("cannot create the output directory " + o.out + ": " + error.message());
    return 1;
  }
  // A pass starts every stage once more, and each restart is a pass.
  const std::uint32_t slots = (o.hashers + 3) * (o.restart.max_restarts + 2) + 16;
  RunContext run(o, out_dir, slots, say);
  run.observers.prepare();
  const int status = run_passes(run, out_dir);
  run.set_status(status);
  if (status != 0) return status;
  run.observers.stop(0);
  std::cout << "Report: " << out_dir << "/report.json (text: " << out_dir << "/report.txt; review "
            << out_dir << "/actions.sh before running it)\n";
  std::ifstream text(out_dir + "/report.txt");
  std::string line;
  std::getline(text, line);
  if (std::getline(text, line)) std::cout << line << '\n';
  std::cout << std::flush;
  return 0;
}

int print_dry_run(const LaunchOptions& o) {
  const std::string out_dir = fs::weakly_canonical(fs::absolute(o.out)).string();
  const RunNames names{"RUN_DIR", o.run_id};
  std::cout << "run directory: RUN_DIR, made at start under ${TMPDIR:-/tmp} (mode 0700), holding "
               "the FIFOs"
               " (0600), pids, links, pass and stats\n";
  if (o.is_directory_mode()) {
    std::cout << describe(directory_topology(o, names, out_dir));
  } else {
    std::cout << describe(
        url_topology(o, names, UrlPass{out_dir, out_dir + "/.dupipe", 1, o.refeeds == 0}));
  }
  std::cout << "restarts: at most " << o.restart.max_restarts << " per role within "
            << o.restart.period_ms / 1000 << " s, after 100 ms doubling to 2 s"
            << (o.is_directory_mode() ? "" : "; re-feed passes: at most ")
            << (o.is_directory_mode() ? "" : std::to_string(o.refeeds))
            << "\nstop: SIGTERM once to each stage, SIGKILL to what still runs "
            << PassRunner::kGraceMs / 1000 << " s later\n";
  return 0;
}

}  // namespace dupipe::supervisor
