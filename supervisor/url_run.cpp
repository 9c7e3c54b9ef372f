// URL mode (docs/RECOVERY.md): one or more passes of the URL topology. A stage process that dies
// is restarted with backoff within its role's restart intensity; what a dead process held is
// found end to end, not per hop: the producer lists what it sent (OUT/.dupipe/manifest), the
// aggregator journals what it accounted (OUT/.dupipe/journal) and says in the report whether
// everything arrived ("complete"); if not, another pass re-feeds only what is missing; the last
// pass reports what still never arrived as failures. --resume starts from the same state.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/base/error.hpp"
#include "common/protocol/record_journal.hpp"
#include "common/protocol/records.hpp"
#include "common/protocol/report_reader.hpp"
#include "supervisor/child_process.hpp"
#include "supervisor/launch.hpp"
#include "supervisor/mode_topologies.hpp"
#include "supervisor/pass_plan.hpp"
#include "supervisor/pass_runner.hpp"
#include "supervisor/run_context.hpp"

namespace dupipe::supervisor {
namespace {

namespace fs = std::filesystem;

// Exits the launcher with a usage error (exit 2), as the option checks do.
struct UsageExit {
  std::string message;
};

// A fresh run starts from nothing, --resume from what is there; the URL list (a crawl's seeds) is
// copied in either way, so a resumed or re-fed pass reads the very same lines (also when they
// came from stdin).
void prepare_state(const LaunchOptions& o, const std::string& state_dir) {
  std::error_code error;
  if (!o.is_resume) {
    fs::remove_all(state_dir, error);
  } else if (!fs::is_directory(state_dir)) {
    throw UsageExit{"--resume: " + state_dir + " does not exist: no run to resume in " + o.out};
  } else if (!o.is_crawl && fs::exists(state_dir + "/crawl.journal")) {
    throw UsageExit{"--resume: " + o.out +
                    " holds a crawl: give --crawl again, with the crawl's options"};
  }
  if (!fs::is_directory(state_dir) && ::mkdir(state_dir.c_str(), 0700) != 0) {
    throw_errno("cannot create " + state_dir, errno);
  }
  const std::string list = input_list(o, state_dir);
  if (!o.urls_file.empty()) {
    const std::string tmp = list + ".tmp";
    std::ofstream copy(tmp, std::ios::binary | std::ios::trunc);
    if (o.urls_file == "-") {
      copy << std::cin.rdbuf();
    } else {
      std::ifstream given(o.urls_file, std::ios::binary);
      if (given.peek() != std::ifstream::traits_type::eof()) copy << given.rdbuf();
    }
    if (!copy.flush()) {
      fs::remove(tmp, error);
      throw FatalError("cannot write " + list + ": " + std::strerror(errno));
    }
    copy.close();
    fs::rename(tmp, list);
  }
  if (::access(list.c_str(), R_OK) != 0) {
    throw UsageExit{"--resume: " + list + " is missing; give the " +
                    (o.is_crawl ? "seeds" : "URL list") + " again"};
  }
}

std::uint64_t lines_in(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::uint64_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

bool report_is_complete(const std::string& out_dir) {
  const auto report = read_report(out_dir + "/report.json");
  return report && report->complete.value_or(false);
}

void log_stand_in_links(const LaunchOptions& o, const Say& say) {
  for (const std::string& link : stand_in_links(o)) {
    if (o.transport_of(link) == Transport::kShm) {
      say("link " + link + ": a stand-in command reads or writes it on stdio, so it stays a FIFO");
    }
  }
}

// The run cannot go on: rebuild the report from the aggregator's journal (the aggregator may be
// the stage that died), marked incomplete unless nothing is missing.
void write_partial_report(RunContext& run, const std::string& out_dir,
                          const std::string& state_dir) {
  const LaunchOptions& o = run.options;
  if (o.producer_cmd.empty()) {
    const pid_t pid =
        spawn({o.bin_dir + "/aggregator", "--out", out_dir, "--algo", o.algo, "--journal",
               state_dir + "/journal", "--manifest", state_dir + "/manifest", "--in", "-"},
              ChildIo{}, run.signals.original_mask());
    const int status = wait_for(pid);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      run.say("could not write the partial report to " + out_dir);
    }
  }
  run.say("partial report: " + out_dir +
          "/report.json; continue with: scripts/run_pipeline.sh --resume --out " + out_dir);
}

void say_started(RunContext& run, const Topology& topology) {
  const LaunchOptions& o = run.options;
  run.say("run directory " + run.run_dir.path() + "; " + describe_links(topology, o.shm_capacity));
  run.say("started producer, " + std::to_string(o.fetchers) + " fetchers, " +
          std::to_string(o.hashers) + " hashers, aggregator (pids in " + run.run_dir.path() +
          "/pids)");
  run.say("download concurrency: " + std::to_string(o.fetchers) + " fetchers x " +
          std::to_string(o.transfers) + " transfers = " + std::to_string(o.fetchers * o.transfers));
}

// A crawl's re-feed passes are URL mode's over what the crawl handed out: its manifest's URLs
// become the list (the producer skips what the aggregator's journal accounts), and the crawl
// does not run again. A lost record needs no links: its page's links came back with its D.
LaunchOptions refeed_of_crawl(const LaunchOptions& crawl, const std::string& state_dir) {
  const std::string list = state_dir + "/urls";
  std::vector<std::string> manifest;
  read_journal(state_dir + "/manifest",
               [&](std::string_view line) { manifest.emplace_back(line); });
  std::ofstream urls(list + ".tmp", std::ios::binary | std::ios::trunc);
  for (const std::string& url : refeed_list(manifest)) urls << url << '\n';
  if (!urls.flush()) throw FatalError("cannot write " + list + ": " + std::strerror(errno));
  urls.close();
  fs::rename(list + ".tmp", list);
  LaunchOptions refeed = crawl;
  refeed.is_crawl = false;
  refeed.was_crawl = true;
  refeed.crawl_args.clear();
  return refeed;
}

// Passes until the report is complete (the last pass always makes it so). The exit status.
int run_passes(RunContext& run, const std::string& out_dir, const std::string& state_dir) {
  const PassPlan plan(run.options.refeeds);
  const RunNames names{run.run_dir.path(), run.options.run_id};
  LaunchOptions pass_options = run.options;
  const LaunchOptions& o = pass_options;
  std::uint32_t pass = 1;
  for (;;) {
    if (pass > 1 && o.is_crawl) pass_options = refeed_of_crawl(o, state_dir);
    std::error_code ignored;
    fs::remove(state_dir + "/manifest", ignored);
    // A stand-in producer skips nothing, so nothing counts as accounted before it.
    run.mark_pass(pass, o.producer_cmd.empty() ? lines_in(state_dir + "/journal") : 0);
    const Topology topology =
        url_topology(o, names, UrlPass{out_dir, state_dir, pass, plan.is_last(pass)});
    PassRunner runner(topology, run.run_dir, run.signals, run.budget, run.say, o.shm_capacity);
    runner.create_links();
    const PassHooks hooks = run.pass_hooks(
        pass, [&] { say_started(run, topology); }, true);
    const PassOutcome outcome = runner.run(hooks);
    if (outcome.end == PassEnd::kInterrupted) {
      run.say("partial report: " + out_dir +
              "/report.json; continue with: scripts/run_pipeline.sh --resume --out " + out_dir);
      return interrupted_status(outcome.signal_number);
    }
    if (outcome.end != PassEnd::kFinished) {
      write_partial_report(run, out_dir, state_dir);
      return 1;
    }
    const auto next = plan.next(pass, report_is_complete(out_dir));
    if (!next) break;
    run.say("pass " + std::to_string(pass) +
            ": records were lost with a dead stage; re-feeding what is missing (pass " +
            std::to_string(*next) + " of at most " + std::to_string(plan.last()) + ")");
    pass = *next;
  }
  if (run.budget.total() > 0) {
    run.say(std::to_string(run.budget.total()) + " stage restarts, " + std::to_string(pass) +
            " passes");
  }
  return 0;
}

void print_summary(const std::string& out_dir) {
  std::ifstream text(out_dir + "/report.txt");
  std::string line;
  std::getline(text, line);
  if (std::getline(text, line)) std::cout << line << '\n' << std::flush;
}

}  // namespace

int interrupted_status(int signal_number) { return 128 + signal_number; }

int run_url_mode(const LaunchOptions& given, const Say& say) {
  LaunchOptions o = given;
  o.launch_stamp = std::to_string(::getpid()) + "-" + std::to_string(now_ms());
  std::string out_dir;
  std::string state_dir;
  try {
    fs::create_directories(fs::path(o.out) / "files");
    out_dir = fs::canonical(o.out).string();
    state_dir = out_dir + "/.dupipe";
    prepare_state(o, state_dir);
  } catch (const UsageExit& usage) {
    std::cerr << "run_pipeline: " << usage.message << "\nTry 'scripts/run_pipeline.sh --help'.\n";
    return 2;
  } catch (const fs::filesystem_error& error) {
    say(std::string("cannot prepare ") + o.out + ": " + error.code().message());
    return 1;
  }
  ::setenv("DUPIPE_ALGO", o.algo.c_str(), 1);  // for stand-in commands
  // Every pass starts each stage once more, and each restart takes a slot of its own.
  const std::uint32_t slots =
      (o.fetchers + o.hashers + 2) * (o.refeeds + 1) + 4 * o.restart.max_restarts + 16;
  RunContext run(o, out_dir, slots, say);
  log_stand_in_links(o, say);
  run.observers.prepare();
  const int status = run_passes(run, out_dir, state_dir);
  run.set_status(status);
  if (status != 0) return status;
  run.observers.stop(0);
  std::cout << "Report: " << out_dir << "/report.json (text: " << out_dir << "/report.txt)"
            << std::endl;
  run.observers.write_html();
  print_summary(out_dir);
  return 0;
}

}  // namespace dupipe::supervisor
