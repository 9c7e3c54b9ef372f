#include "tests/support/child_processes.hpp"

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

#include "common/base/error.hpp"
#include "common/base/exit_code.hpp"

namespace dupipe::testing {
namespace {

// After SIGKILL a child is normally gone at once; the bound only guards a stuck kernel wait.
constexpr auto kReapBound = std::chrono::seconds(5);

sigset_t make_set(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (const int signal_number : signals) sigaddset(&set, signal_number);
  return set;
}

int run_body(const std::string& name, const std::function<int(const Logger&)>& body) {
  const Logger log(name, std::cerr);  // made in the child, so the pid it prints is the child's
  try {
    return body(log);
  } catch (const FatalError& e) {
    log.error(e.what());
    return to_int(e.exit_code());
  } catch (const std::exception& e) {
    log.error(std::string("internal error: ") + e.what());
    return to_int(ExitCode::kFailure);
  } catch (...) {
    // Reported, not swallowed: an exception escaping here would run the parent's code in the child.
    log.error("unknown exception");
    return to_int(ExitCode::kFailure);
  }
}

}  // namespace

SignalBlock::SignalBlock() {
  const sigset_t blocked = make_set({SIGCHLD, SIGINT, SIGTERM, SIGHUP});
  if (::sigprocmask(SIG_BLOCK, &blocked, &previous_) != 0) throw_errno("sigprocmask", errno);
}

SignalBlock::~SignalBlock() { ::sigprocmask(SIG_SETMASK, &previous_, nullptr); }

int wait_for_signal(std::chrono::milliseconds timeout, bool include_stop) {
  const sigset_t set =
      include_stop ? make_set({SIGCHLD, SIGINT, SIGTERM, SIGHUP}) : make_set({SIGCHLD});
  const auto ms = std::max<std::chrono::milliseconds::rep>(timeout.count(), 0);
  const timespec wait{static_cast<std::time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
  const int signal_number = ::sigtimedwait(&set, nullptr, &wait);
  return signal_number < 0 || signal_number == SIGCHLD ? 0 : signal_number;
}

bool ChildExit::is_success() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

bool ChildExit::is_sigkilled() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

std::string ChildExit::how() const {
  if (status == -1) return "could not be waited for";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

ChildProcesses::~ChildProcesses() {
  kill_running();
  const auto deadline = std::chrono::steady_clock::now() + kReapBound;
  while (true) {
    (void)reap_exited();
    if (is_done() || std::chrono::steady_clock::now() >= deadline) break;
    (void)wait_for_signal(std::chrono::milliseconds(50), false);
  }
  if (!is_done()) std::cerr << program_ << ": could not reap " << running_roles() << '\n';
}

pid_t ChildProcesses::spawn(std::string role, const std::function<int(const Logger&)>& body,
                            int group) {
  children_.reserve(children_.size() + 1);  // so recording the child after fork cannot fail
  std::cout.flush();  // or the child would write the parent's buffered output a second time
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork " + role, errno);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(to_int(ExitCode::kFailure));  // it died before prctl
    ::sigprocmask(SIG_SETMASK, &child_mask_, nullptr);
    const int code = run_body(program_ + " " + role, body);
    std::cout.flush();
    std::cerr.flush();
    ::_exit(code);  // no atexit handlers, no destructors of the parent's objects
  }
  children_.push_back(Child{pid, std::move(role), group, true});
  return pid;
}

std::vector<ChildExit> ChildProcesses::reap_exited() {
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

void ChildProcesses::kill_running() {
  for (const Child& child : children_) {
    if (child.is_running) ::kill(child.pid, SIGKILL);
  }
}

bool ChildProcesses::is_done() const {
  return std::none_of(children_.begin(), children_.end(),
                      [](const Child& c) { return c.is_running; });
}

bool ChildProcesses::is_group_done(int group) const {
  return std::none_of(children_.begin(), children_.end(),
                      [&](const Child& c) { return c.group == group && c.is_running; });
}

std::string ChildProcesses::running_roles() const {
  std::string roles;
  for (const Child& child : children_) {
    if (!child.is_running) continue;
    if (!roles.empty()) roles += ", ";
    roles += child.role + " (pid " + std::to_string(child.pid) + ")";
  }
  return roles;
}

}  // namespace dupipe::testing
