#include "tests/integration/shm_stress/child_set.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <exception>
#include <initializer_list>
#include <iostream>

#include "common/error.hpp"
#include "common/exit_code.hpp"
#include "common/logger.hpp"

namespace dupipe::shm_stress {
namespace {

// After SIGKILL a child is normally gone at once; the bound only guards a stuck kernel wait.
constexpr auto kReapBound = std::chrono::seconds(5);

sigset_t make_set(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (const int signal_number : signals) sigaddset(&set, signal_number);
  return set;
}

int run_body(const std::string& role, const std::function<int()>& body) {
  const Logger log("shm_stress " + role, std::cerr);
  try {
    return body();
  } catch (const std::exception& e) {
    log.error(e.what());
    return to_int(ExitCode::kFailure);
  }
}

}  // namespace

SignalBlock::SignalBlock() {
  const sigset_t blocked = make_set({SIGCHLD, SIGINT, SIGTERM, SIGHUP});
  if (::sigprocmask(SIG_BLOCK, &blocked, &previous_) != 0) throw_errno("sigprocmask", errno);
}

SignalBlock::~SignalBlock() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }

int wait_for_signal(std::chrono::milliseconds timeout) {
  const sigset_t set = make_set({SIGCHLD, SIGINT, SIGTERM, SIGHUP});
  const auto ms = std::max<std::chrono::milliseconds::rep>(timeout.count(), 0);
  const timespec wait{static_cast<std::time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
  const int signal_number = ::sigtimedwait(&set, nullptr, &wait);
  return signal_number < 0 || signal_number == SIGCHLD ? 0 : signal_number;
}

bool ChildExit::is_success() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

bool ChildExit::is_sigkilled() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

std::string ChildExit::how() const {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

ChildSet::~ChildSet() {
  kill_running();
  const auto deadline = std::chrono::steady_clock::now() + kReapBound;
  while (true) {
    (void)reap_exited();
    if (is_done() || std::chrono::steady_clock::now() >= deadline) break;
    (void)wait_for_signal(std::chrono::milliseconds(50));
  }
  if (!is_done()) std::cerr << "shm_stress: could not reap " << running_roles() << '\n';
}

pid_t ChildSet::spawn(std::string role, const std::function<int()>& body) {
  std::cout.flush();  // or the child would write the parent's buffered output a second time
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork " + role, errno);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed parent leaves no stray children behind
    if (::getppid() != parent) ::_exit(to_int(ExitCode::kFailure));
    ::sigprocmask(SIG_SETMASK, &child_mask_, nullptr);
    const int code = run_body(role, body);
    std::cout.flush();
    std::cerr.flush();
    ::_exit(code);  // no atexit handlers, no destructors of the parent's objects
  }
  children_.push_back(Child{pid, std::move(role), true});
  return pid;
}

std::vector<ChildExit> ChildSet::reap_exited() {
  std::vector<ChildExit> exited;
  for (Child& child : children_) {
    if (!child.is_running) continue;
    int status = 0;
    pid_t reaped = -1;
    do {
      reaped = ::waitpid(child.pid, &status, WNOHANG);
    } while (reaped < 0 && errno == EINTR);
    if (reaped == 0) continue;
    child.is_running = false;  // reaped, or ECHILD: either way no longer ours to wait for
    exited.push_back(ChildExit{child.role, child.pid, reaped < 0 ? -1 : status});
  }
  return exited;
}

void ChildSet::kill_running() {
  for (const Child& child : children_) {
    if (child.is_running) ::kill(child.pid, SIGKILL);
  }
}

bool ChildSet::is_done() const {
  return std::none_of(children_.begin(), children_.end(),
                      [](const Child& c) { return c.is_running; });
}

std::string ChildSet::running_roles() const {
  std::string roles;
  for (const Child& child : children_) {
    if (!child.is_running) continue;
    if (!roles.empty()) roles += ", ";
    roles += child.role + " (pid " + std::to_string(child.pid) + ")";
  }
  return roles;
}

}  // namespace dupipe::shm_stress
