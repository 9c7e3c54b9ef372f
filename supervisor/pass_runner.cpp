#include "supervisor/pass_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/base/error.hpp"
#include "common/os/unique_fd.hpp"
#include "supervisor/child_process.hpp"

namespace dupipe::supervisor {
namespace {

// A stage that exits 2 was started with a command line it rejects, 127 could not be executed:
// starting it again would fail the same way.
bool is_hopeless(int wait_status) {
  return WIFEXITED(wait_status) &&
         (WEXITSTATUS(wait_status) == 2 || WEXITSTATUS(wait_status) == 127);
}

UniqueFd open_or_throw(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open " + path, errno);
  return UniqueFd(fd);
}

}  // namespace

PassRunner::PassRunner(const Topology& topology, const RunDirectory& run_dir, SignalWait& signals,
                       RestartBudget& budget, const Say& say, std::uint64_t shm_capacity)
    : topology_(topology),
      run_dir_(run_dir),
      signals_(signals),
      budget_(budget),
      say_(say),
      shm_capacity_(shm_capacity) {
  // A notice sent to a child between its fork and its exec meets the mask inherited from here:
  // blocked, it waits for the stage to take it. Nothing sends these to the supervisor itself;
  // SignalWait puts the original mask back at the end.
  sigset_t notices;
  sigemptyset(&notices);
  for (const DeathNotice& notice : topology_.death_notices) {
    sigaddset(&notices, notice.signal_number);
  }
  ::pthread_sigmask(SIG_BLOCK, &notices, nullptr);
}

PassRunner::~PassRunner() {
  if (!running_.empty()) stop_all();
}

void PassRunner::create_links() {
  run_dir_.write("links", "");
  for (const LinkSpec& link : topology_.links) {
    if (link.transport == Transport::kFifo) {
      fifos_.emplace(link.name, FifoLink::create(link.fifo_path, link.name));
      run_dir_.append("links", link.name + " fifo " + link.fifo_path);
      continue;
    }
    try {
      queues_.emplace(link.name,
                      ShmSegment::create_queue(link.shm_name, link.writers, shm_capacity_));
    } catch (const FatalError& error) {
      throw FatalError(
          "cannot create shared-memory segment /dev/shm/" + link.shm_name + " for link " +
          link.name + ": " + error.what() +
          "; refusing to run (a segment of that name may belong to another run or user: "
          "see scripts/run_pipeline.sh --cleanup)");
    }
    run_dir_.append("links", link.name + " shm " + link.shm_name);
  }
}

void PassRunner::start(std::size_t process) {
  const ProcessSpec& spec = topology_.processes[process];
  UniqueFd in;
  UniqueFd out;
  // A FIFO whose keeper is released has ended: a reader started after that gets /dev/null (end of
  // file at once; the journals tell what it missed) instead of blocking in open(2) forever.
  if (!spec.stdin_link.empty() && fifos_.at(spec.stdin_link).is_held()) {
    in = open_or_throw(fifos_.at(spec.stdin_link).path(), O_RDONLY);
  } else if (!spec.stdin_file.empty()) {
    in = open_or_throw(spec.stdin_file, O_RDONLY);
  }
  if (!spec.stdout_link.empty()) out = open_or_throw(fifos_.at(spec.stdout_link).path(), O_WRONLY);
  const ChildIo io{in.is_open() ? in.get() : -1, out.is_open() ? out.get() : STDOUT_FILENO,
                   STDERR_FILENO};
  const pid_t pid = spawn(spec.argv, io, start_mask(spec));
  running_[pid] = process;
  run_dir_.append("pids", spec.role + " " + std::to_string(pid));
  for (auto owed = owed_.begin(); owed != owed_.end();) {
    if (owed->first != spec.role) {
      ++owed;
      continue;
    }
    ::kill(pid, owed->second);
    owed = owed_.erase(owed);
  }
}

// A notice sent shortly before its process died may never have been taken (it died first, or was
// already a zombie when it was sent): owed again to the next start of the role, which then starts
// its pages in flight again rather than wait for reports that cannot come.
void PassRunner::owe_again(pid_t pid, const std::string& role) {
  const auto told = told_.find(pid);
  if (told == told_.end()) return;
  const std::uint64_t now = now_ms();
  for (const Told& notice : told->second) {
    if (now - notice.at_ms <= kNoticeDoubtMs) owed_.insert({role, notice.signal_number});
  }
}

sigset_t PassRunner::start_mask(const ProcessSpec& spec) const {
  sigset_t mask = signals_.original_mask();
  for (const DeathNotice& notice : topology_.death_notices) {
    if (notice.notified == spec.role) sigaddset(&mask, notice.signal_number);
  }
  return mask;
}

PassOutcome PassRunner::run(const PassHooks& hooks) {
  for (const ProcessSpec& spec : topology_.processes) {
    for (const std::string& link : spec.writes) writers_.expect(link, 1);
  }
  for (std::size_t i = 0; i < topology_.processes.size(); ++i) start(i);
  hooks.on_started();
  std::optional<PassOutcome> outcome;
  while (!outcome && (!running_.empty() || !pending_.empty())) {
    for (int signal_number : signals_.wait(next_timeout_ms())) {
      if (signal_number != SIGCHLD) {
        outcome = PassOutcome{PassEnd::kInterrupted, signal_number, 0};
        break;
      }
    }
    if (!outcome) reap(hooks, outcome);
    const std::uint64_t now = now_ms();
    for (auto due = pending_.begin(); !outcome && due != pending_.end();) {
      if (due->due_ms > now) {
        ++due;
        continue;
      }
      const std::size_t process = due->process;
      due = pending_.erase(due);
      start(process);
    }
  }
  if (outcome && outcome->end == PassEnd::kInterrupted) {
    const char* name = ::sigabbrev_np(outcome->signal_number);
    say_(std::string("received SIG") + (name != nullptr ? name : "?") + "; stopping every stage");
  }
  if (outcome && outcome->end != PassEnd::kFinished) stop_all();
  return outcome.value_or(PassOutcome{});
}

void PassRunner::reap(const PassHooks& hooks, std::optional<PassOutcome>& outcome) {
  for (const Exit& exit : reap_exited()) {
    auto found = running_.find(exit.pid);
    if (found == running_.end()) {
      hooks.on_other_exit(exit.pid, exit.wait_status);
      continue;
    }
    const std::size_t process = found->second;
    running_.erase(found);
    if (!outcome) outcome = on_exit(exit.pid, process, exit.wait_status, hooks);
    told_.erase(exit.pid);
  }
}

std::optional<PassOutcome> PassRunner::on_exit(pid_t pid, std::size_t process, int status,
                                               const PassHooks& hooks) {
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
    return on_death(pid, process, status, hooks);
  for (const std::string& link : writers_.finished(topology_.processes[process].writes)) {
    if (!release(link)) return PassOutcome{PassEnd::kStageFailed, 0, 0};
  }
  return std::nullopt;
}

std::optional<PassOutcome> PassRunner::on_death(pid_t pid, std::size_t process, int status,
                                                const PassHooks& hooks) {
  const ProcessSpec& spec = topology_.processes[process];
  std::string how =
      "stage " + spec.role + " (pid " + std::to_string(pid) + ") " + describe_exit(status);
  if (const std::string held = hooks.held_by(pid); !held.empty())
    how += "; it was working on: " + held;
  notify_death_of(spec.role);
  owe_again(pid, spec.role);
  if (!spec.is_restartable || is_hopeless(status)) {
    say_(how + "; it cannot be restarted; stopping the run");
    return PassOutcome{PassEnd::kStageFailed, 0, 0};
  }
  const std::uint64_t now = now_ms();
  const std::uint32_t recent = budget_.recent(spec.role, now);
  const RestartPolicy& policy = budget_.policy();
  if (!budget_.try_spend(spec.role, now)) {
    say_(how + "; its restart budget (--max-restarts " + std::to_string(policy.max_restarts) +
         ") is spent: " + std::to_string(recent) + " restarts of " + spec.role + " within " +
         std::to_string(policy.period_ms / 1000) + " s; stopping the run");
    return PassOutcome{PassEnd::kStageFailed, 0, 0};
  }
  const std::uint64_t delay = restart_delay_ms(recent);
  const std::string count =
      "(restart " + std::to_string(recent + 1) + " of " + std::to_string(policy.max_restarts) + ")";
  if (topology_.on_death == OnDeath::kRestartPass) {
    say_(how +
         "; the pass cannot be repaired (the grouper needs every file); restarting the pass in " +
         std::to_string(delay) + " ms " + count);
    return PassOutcome{PassEnd::kRestartPass, 0, delay};
  }
  say_(how + "; restarting it in " + std::to_string(delay) + " ms " + count);
  pending_.push_back({process, now + delay});
  return std::nullopt;
}

void PassRunner::notify_death_of(const std::string& role) {
  for (const DeathNotice& notice : topology_.death_notices) {
    if (notice.dead != role) continue;
    bool is_told = false;
    for (const auto& [pid, process] : running_) {
      if (topology_.processes[process].role != notice.notified) continue;
      // ESRCH: it exited meanwhile and its own exit is reaped next; nothing to tell it.
      ::kill(pid, notice.signal_number);
      told_[pid].push_back({notice.signal_number, now_ms()});
      is_told = true;
    }
    // A notified process that ended for good never starts again: the owed notice is dropped then.
    if (!is_told) owed_.insert({notice.notified, notice.signal_number});
  }
}

bool PassRunner::release(const std::string& link) {
  if (auto fifo = fifos_.find(link); fifo != fifos_.end()) {
    fifo->second.release();
    return true;
  }
  try {
    queues_.at(link).release();
    return true;
  } catch (const FatalError& error) {
    // Its readers would wait for the end of stream forever: the run cannot finish.
    say_("could not release shared-memory link " + link + " (" + queues_.at(link).name() +
         "): " + error.what() + "; stopping the run");
    return false;
  }
}

int PassRunner::next_timeout_ms() const {
  if (pending_.empty()) return -1;
  const std::uint64_t now = now_ms();
  std::uint64_t soonest = pending_.front().due_ms;
  for (const Pending& due : pending_) soonest = std::min(soonest, due.due_ms);
  return soonest <= now ? 0 : static_cast<int>(soonest - now);
}

void PassRunner::stop_all(std::uint64_t grace_ms) {
  pending_.clear();
  for (const auto& [pid, process] : running_) ::kill(pid, SIGTERM);
  const std::uint64_t deadline = now_ms() + grace_ms;
  while (!running_.empty()) {
    const std::uint64_t now = now_ms();
    if (now >= deadline) break;
    (void)signals_.wait(static_cast<int>(std::min<std::uint64_t>(deadline - now, 100)));
    for (const Exit& exit : reap_exited()) running_.erase(exit.pid);
  }
  for (const auto& [pid, process] : running_) {
    say_(topology_.processes[process].role + " (pid " + std::to_string(pid) +
         ") ignored SIGTERM for " + std::to_string(grace_ms / 1000) + " s; sending SIGKILL");
    ::kill(pid, SIGKILL);
    (void)wait_for(pid);
  }
  running_.clear();
}

}  // namespace dupipe::supervisor
