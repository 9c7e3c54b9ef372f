#include "bench/ipc/measure.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <vector>

#include "common/os/unique_fd.hpp"

namespace dupipe::bench {
namespace {

using Clock = std::chrono::steady_clock;

void make_pipe(UniqueFd (&ends)[2]) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  ends[0].reset(fds[0]);
  ends[1].reset(fds[1]);
}

// The start line: children report ready on one pipe and wait on another until the parent closes
// it, so that set-up (opens, attaches) is not timed and everybody starts at once.
class StartLine {
 public:
  StartLine() {
    make_pipe(ready_);
    make_pipe(go_);
  }
  void child_ready_and_wait() {
    go_[1].reset();
    const char byte = 1;
    if (::write(ready_[1].get(), &byte, 1) != 1) ::_exit(3);
    char ignored;
    while (::read(go_[0].get(), &ignored, 1) < 0 && errno == EINTR) {
    }
  }
  void wait_ready_then_go(int children) {
    char byte;
    for (int got = 0; got < children;) {
      const ssize_t n = ::read(ready_[0].get(), &byte, 1);
      if (n == 1) ++got;
      if (n == 0) throw std::runtime_error("a child exited before it was ready");
    }
    go_[1].reset();
  }
  void parent_closes_child_ends() { ready_[1].reset(); }

 private:
  UniqueFd ready_[2];
  UniqueFd go_[2];
};

pid_t fork_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) return pid;
  int rc = 1;
  try {
    rc = body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench child: %s\n", e.what());
  }
  ::_exit(rc);  // no destructors of the parent's objects (they would remove the channel)
}

void reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("a bench child failed (status " + std::to_string(status) + ")");
  }
}

std::string fresh_dir(const std::string& scratch, const std::string& name) {
  const std::string dir = scratch + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

Throughput measure_throughput(const ChannelKind& kind, const std::string& scratch, int senders,
                              int receivers, std::size_t record_bytes, std::uint64_t records) {
  const auto channel = kind.make(fresh_dir(scratch, "tp"), senders, record_bytes);
  StartLine start;
  UniqueFd counts[2];
  make_pipe(counts);
  const std::uint64_t share = records / static_cast<std::uint64_t>(senders);
  std::vector<pid_t> sender_pids;
  std::vector<pid_t> receiver_pids;
  for (int r = 0; r < receivers; ++r) {
    receiver_pids.push_back(fork_child([&] {
      auto receiver = channel->open_receiver();
      start.child_ready_and_wait();
      std::string buffer;
      std::uint64_t bytes = 0;
      while (const std::size_t n = receiver->receive(buffer)) bytes += n;
      return ::write(counts[1].get(), &bytes, sizeof bytes) == sizeof bytes ? 0 : 1;
    }));
  }
  for (int s = 0; s < senders; ++s) {
    sender_pids.push_back(fork_child([&] {
      auto sender = channel->open_sender();
      start.child_ready_and_wait();
      const std::string record(record_bytes, 'x');
      for (std::uint64_t i = 0; i < share; ++i) sender->send(record);
      sender.reset();
      return 0;
    }));
  }
  channel->release_parent_ends();
  start.parent_closes_child_ends();
  counts[1].reset();
  start.wait_ready_then_go(senders + receivers);
  const auto begin = Clock::now();
  for (pid_t pid : sender_pids) reap(pid);
  channel->finish_senders(receivers);
  std::uint64_t received = 0;
  for (int r = 0; r < receivers; ++r) {
    std::uint64_t bytes = 0;
    if (::read(counts[0].get(), &bytes, sizeof bytes) != sizeof bytes) break;
    received += bytes;
  }
  for (pid_t pid : receiver_pids) reap(pid);
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  counts[0].reset();
  const std::uint64_t sent = share * static_cast<std::uint64_t>(senders) * record_bytes;
  if (received != sent) {
    throw std::runtime_error(kind.name + ": received " + std::to_string(received) + " bytes of " +
                             std::to_string(sent));
  }
  return {static_cast<double>(sent / record_bytes) / seconds,
          static_cast<double>(sent) / seconds / 1e6};
}

Latency measure_round_trip(const ChannelKind& kind, const std::string& scratch,
                           std::size_t record_bytes, int round_trips) {
  const auto forth = kind.make(fresh_dir(scratch, "forth"), 1, record_bytes);
  const auto back = kind.make(fresh_dir(scratch, "back"), 1, record_bytes);
  StartLine start;
  const pid_t echo = fork_child([&] {
    auto in = forth->open_receiver();
    auto out = back->open_sender();
    start.child_ready_and_wait();
    std::string buffer;
    while (in->receive(buffer) != 0) {
      out->send(buffer.substr(0, record_bytes));
      out->flush();
    }
    return 0;
  });
  start.parent_closes_child_ends();
  auto out = forth->open_sender();
  auto in = back->open_receiver();
  forth->release_parent_ends();
  back->release_parent_ends();
  start.wait_ready_then_go(1);
  const std::string record(record_bytes, 'x');
  std::string buffer;
  constexpr int kWarmUp = 1000;
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(round_trips));
  for (int i = 0; i < kWarmUp + round_trips; ++i) {
    const auto t0 = Clock::now();
    out->send(record);
    out->flush();
    if (in->receive(buffer) == 0) throw std::runtime_error(kind.name + ": echo ended early");
    if (i >= kWarmUp) {
      samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
  }
  out.reset();
  forth->finish_senders(1);
  reap(echo);
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 99 / 100]};
}

}  // namespace dupipe::bench
