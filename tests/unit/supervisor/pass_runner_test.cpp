// The pass runner with fake children (sh one-liners): restarts within the budget and their
// backoff, a role whose budget is spent, a child that ignores SIGTERM through its grace period, a
// writer that exits early releasing its link, a stop signal, the supervisor's own SIGKILL, and
// a death notice sent to another role.
#include "supervisor/pass_runner.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/os/unique_fd.hpp"
#include "supervisor/child_process.hpp"

namespace dupipe::supervisor {
namespace {

ProcessSpec shell(const std::string& role, const std::string& script) {
  ProcessSpec process;
  process.role = role;
  process.argv = {"/bin/sh", "-c", script};
  return process;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct RunnerFixture {
  SignalWait signals;
  RunDirectory run_dir = RunDirectory::create();
  std::ostringstream log;
  Say say{log};
  RestartBudget budget{RestartPolicy{2, 10'000}};

  PassOutcome run(const Topology& topology) {
    PassRunner runner(topology, run_dir, signals, budget, say, 4096);
    runner.create_links();
    return runner.run(PassHooks{});
  }
};

TEST(PassRunner, EveryProcessExitingZeroFinishesThePass) {
  RunnerFixture f;
  Topology t;
  t.processes = {shell("a", "exit 0"), shell("b", "exit 0")};
  EXPECT_EQ(f.run(t).end, PassEnd::kFinished);
  EXPECT_EQ(lines_of(f.run_dir.path() + "/pids").size(), 2u);
}

TEST(PassRunner, ADeadProcessIsRestartedWithBackoffUntilItsRoleBudgetIsSpent) {
  RunnerFixture f;
  Topology t;
  t.processes = {shell("crasher", "exit 3")};
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(f.run(t).end, PassEnd::kStageFailed);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(lines_of(f.run_dir.path() + "/pids").size(), 3u) << "the first start and 2 restarts";
  EXPECT_GE(waited, std::chrono::milliseconds(300)) << "100 ms, then 200 ms of backoff";
  const std::string log = f.log.str();
  EXPECT_NE(log.find("exited with status 3; restarting it in 100 ms (restart 1 of 2)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("restarting it in 200 ms (restart 2 of 2)"), std::string::npos) << log;
  EXPECT_NE(log.find("its restart budget (--max-restarts 2) is spent"), std::string::npos) << log;
}

// A death notice: when the "fetcher" dies, the running "producer" gets SIGUSR1. Here the
// producer exits 0 on it; without the notice it would exit 9 after 10 s and the pass would fail.
TEST(PassRunner, SendsTheDeathNoticeToTheNotifiedRole) {
  RunnerFixture f;
  const std::string told = f.run_dir.path() + "/told";
  const std::string died = f.run_dir.path() + "/died";
  Topology t;
  t.processes = {shell("producer", "trap 'touch " + told +
                                       "; exit 0' USR1; i=0; while [ $i -lt 200 ]; do sleep 0.05; "
                                       "i=$((i+1)); done; exit 9"),
                 shell("fetcher", "sleep 0.2; [ -e " + died + " ] && exit 0; touch " + died +
                                      "; kill -KILL $$")};
  t.death_notices.push_back({"fetcher", "producer", SIGUSR1});
  EXPECT_EQ(f.run(t).end, PassEnd::kFinished) << f.log.str();
  EXPECT_TRUE(std::filesystem::exists(told));
}

// A producer in Python (a shell unblocks every signal as it starts): on its first start (no
// MARKER yet) it makes MARKER and, with "--after-notice", first waits for the notice; then it
// kills itself. Started again, it exits 0 if a SIGUSR1 is pending (the start mask keeps it
// blocked), 9 if none came within 4 s.
ProcessSpec notified_producer(const std::string& marker, bool dies_after_notice) {
  ProcessSpec process;
  process.role = "producer";
  process.argv = {"python3", "-c",
                  "import os, signal, sys, time\n"
                  "def pending():\n"
                  "    for _ in range(80):\n"
                  "        if signal.SIGUSR1 in signal.sigpending(): return True\n"
                  "        time.sleep(0.05)\n"
                  "    return False\n"
                  "if not os.path.exists(sys.argv[1]):\n"
                  "    if sys.argv[2] == 'yes' and not pending(): sys.exit(8)\n"
                  "    open(sys.argv[1], 'w').close()\n"
                  "    os.kill(os.getpid(), signal.SIGKILL)\n"
                  "sys.exit(0 if pending() else 9)\n",
                  marker, dies_after_notice ? "yes" : "no"};
  return process;
}

// The producer is dead (waiting 100 ms for its restart) when the fetcher dies: the notice is owed
// to its next start. Without that the restarted producer exits 9.
TEST(PassRunner, OwesTheNoticeToTheNextStartOfADeadNotifiedRole) {
  RunnerFixture f;
  const std::string fetcher_died = f.run_dir.path() + "/fetcher-died";
  Topology t;
  t.processes = {notified_producer(f.run_dir.path() + "/producer-died", false),
                 shell("fetcher", "[ -e " + fetcher_died + " ] && exit 0; sleep 0.03; touch " +
                                      fetcher_died + "; kill -KILL $$")};
  t.death_notices.push_back({"fetcher", "producer", SIGUSR1});
  EXPECT_EQ(f.run(t).end, PassEnd::kFinished) << f.log.str();
}

// The producer got the notice and died before it took it: the notice is owed again.
TEST(PassRunner, OwesANoticeAgainWhenItsProcessDiedSoonAfter) {
  RunnerFixture f;
  const std::string fetcher_died = f.run_dir.path() + "/fetcher-died";
  Topology t;
  t.processes = {notified_producer(f.run_dir.path() + "/producer-died", true),
                 shell("fetcher", "[ -e " + fetcher_died + " ] && exit 0; sleep 0.3; touch " +
                                      fetcher_died + "; kill -KILL $$")};
  t.death_notices.push_back({"fetcher", "producer", SIGUSR1});
  EXPECT_EQ(f.run(t).end, PassEnd::kFinished) << f.log.str();
}

TEST(PassRunner, AProcessThatDiesOnceIsRestartedAndThePassFinishes) {
  RunnerFixture f;
  const std::string marker = f.run_dir.path() + "/died-once";
  Topology t;
  t.processes = {shell(
      "flaky", "if [ -e " + marker + " ]; then exit 0; fi; touch " + marker + "; kill -KILL $$")};
  EXPECT_EQ(f.run(t).end, PassEnd::kFinished);
  EXPECT_NE(f.log.str().find("was killed by SIGKILL; restarting it in 100 ms"), std::string::npos)
      << f.log.str();
}

TEST(PassRunner, AStandInIsNeverRestarted) {
  RunnerFixture f;
  Topology t;
  t.processes = {shell("hasher", "exit 1")};
  t.processes[0].is_restartable = false;
  EXPECT_EQ(f.run(t).end, PassEnd::kStageFailed);
  EXPECT_NE(f.log.str().find("it cannot be restarted; stopping the run"), std::string::npos);
  EXPECT_EQ(lines_of(f.run_dir.path() + "/pids").size(), 1u);
}

TEST(PassRunner, AWriterThatExitsEarlyReleasesItsLinkSoTheReaderSeesEndOfStream) {
  RunnerFixture f;
  const RunNames names{f.run_dir.path(), "unit"};
  Topology t;
  t.links = {names.link("data", Transport::kFifo, FifoMode::kStream, 2)};
  ProcessSpec reader = shell("reader", "cat > " + f.run_dir.path() + "/got");
  reader.stdin_link = "data";
  ProcessSpec early = shell("writer", "echo early > " + t.links[0].fifo_path);
  ProcessSpec late = shell("writer", "sleep 0.3; echo late > " + t.links[0].fifo_path);
  early.writes = late.writes = {"data"};
  t.processes = {reader, early, late};
  EXPECT_EQ(f.run(t).end, PassEnd::kFinished);
  EXPECT_EQ(lines_of(f.run_dir.path() + "/got"), (std::vector<std::string>{"early", "late"}));
  EXPECT_FALSE(std::filesystem::exists(t.links[0].fifo_path)) << "the FIFO outlived its pass";
}

TEST(PassRunner, ADirectoryModeDeathEndsThePassForARestart) {
  RunnerFixture f;
  Topology t;
  t.on_death = OnDeath::kRestartPass;
  t.processes = {shell("grouper", "exec sleep 30"), shell("hasher", "kill -KILL $$")};
  const auto started = std::chrono::steady_clock::now();
  const PassOutcome outcome = f.run(t);
  EXPECT_EQ(outcome.end, PassEnd::kRestartPass);
  EXPECT_EQ(outcome.restart_delay_ms, 100u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3))
      << "the sleeper was not stopped";
}

TEST(PassRunner, AChildIgnoringSigtermGetsSigkillAfterTheGracePeriod) {
  RunnerFixture f;
  SignalWait& signals = f.signals;
  RunDirectory& run_dir = f.run_dir;
  std::ostringstream& log = f.log;
  const Say& say = f.say;
  RestartBudget& budget = f.budget;
  Topology t;
  const std::string ready = run_dir.path() + "/ignoring";
  t.processes = {
      shell("stubborn", "trap '' TERM; touch " + ready + "; while :; do sleep 0.1; done"),
      shell("polite", "exec sleep 30")};
  PassRunner runner(t, run_dir, signals, budget, say, 4096);
  runner.create_links();
  PassHooks hooks;
  hooks.on_started = [&] {  // stop once the stubborn child ignores SIGTERM (at most 5 s)
    for (int i = 0; i < 500 && !std::filesystem::exists(ready); ++i) ::usleep(10'000);
    ::kill(::getpid(), SIGTERM);
  };
  const auto started = std::chrono::steady_clock::now();
  const PassOutcome outcome = runner.run(hooks);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(outcome.end, PassEnd::kInterrupted);
  EXPECT_EQ(outcome.signal_number, SIGTERM);
  EXPECT_GE(waited, std::chrono::milliseconds(PassRunner::kGraceMs - 100));
  EXPECT_LT(waited, std::chrono::milliseconds(PassRunner::kGraceMs + 3000));
  EXPECT_NE(log.str().find("stubborn (pid "), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("ignored SIGTERM for 5 s; sending SIGKILL"), std::string::npos)
      << log.str();
  EXPECT_EQ(log.str().find("polite (pid "), std::string::npos)
      << "the polite child died within its grace period";
}

// The supervisor itself killed by SIGKILL: its children get SIGTERM from the kernel
// (PR_SET_PDEATHSIG) and none outlives it.
TEST(PassRunner, StagesDieWithAKilledSupervisor) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd report_end(pipe_fds[0]);
  UniqueFd pid_end(pipe_fds[1]);
  const pid_t supervisor = ::fork();
  ASSERT_GE(supervisor, 0);
  if (supervisor == 0) {
    report_end.reset();
    RunnerFixture f;
    SignalWait& signals = f.signals;
    RunDirectory& run_dir = f.run_dir;
    const Say& say = f.say;
    RestartBudget& budget = f.budget;
    Topology t;
    t.processes = {shell("stage", "exec sleep 30")};
    PassRunner runner(t, run_dir, signals, budget, say, 4096);
    PassHooks hooks;
    hooks.on_started = [&] {
      const std::string pid = lines_of(run_dir.path() + "/pids").at(0).substr(6) + "\n";
      (void)!::write(pid_end.get(), pid.data(), pid.size());
    };
    (void)runner.run(hooks);
    ::_exit(0);
  }
  pid_end.reset();
  char text[32] = {};
  ASSERT_GT(::read(report_end.get(), text, sizeof text - 1), 0);
  report_end.reset();
  const pid_t stage = std::stoi(text);
  ASSERT_EQ(::kill(supervisor, SIGKILL), 0);
  ASSERT_EQ(::waitpid(supervisor, nullptr, 0), supervisor);
  bool is_gone = false;
  for (int i = 0; i < 100 && !is_gone; ++i) {  // at most 5 s
    // The orphan is reaped by init (or the test's subreaper); a zombie counts as gone too.
    std::ifstream stat("/proc/" + std::to_string(stage) + "/stat");
    std::string line;
    is_gone = !std::getline(stat, line) || line.find(") Z ") != std::string::npos;
    if (!is_gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(is_gone) << "stage " << stage << " outlived its supervisor";
  if (!is_gone) ::kill(stage, SIGKILL);
}

}  // namespace
}  // namespace dupipe::supervisor
