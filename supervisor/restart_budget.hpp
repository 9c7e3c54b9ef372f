// The restart intensity of a supervisor, as OTP's (intensity/period) and systemd's
// (StartLimitBurst/StartLimitIntervalSec): a role may be restarted at most `max_restarts` times
// within any `period_ms` window. A long run that loses a process now and then never runs out of
// budget; a crash loop stops fast. Pure: time is passed in; not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace dupipe::supervisor {

struct RestartPolicy {
  std::uint32_t max_restarts = 5;
  std::uint64_t period_ms = 10'000;
};

class RestartBudget {
 public:
  explicit RestartBudget(RestartPolicy policy) : policy_(policy) {}

  // Restarts of `role` within the window that ends at `now_ms`.
  [[nodiscard]] std::uint32_t recent(const std::string& role, std::uint64_t now_ms);
  // Records a restart and returns true, or returns false when the window is full.
  [[nodiscard]] bool try_spend(const std::string& role, std::uint64_t now_ms);
  // Every restart granted so far, for the closing summary.
  [[nodiscard]] std::uint64_t total() const { return total_; }
  [[nodiscard]] const RestartPolicy& policy() const { return policy_; }

 private:
  RestartPolicy policy_;
  std::map<std::string, std::deque<std::uint64_t>> granted_ms_;
  std::uint64_t total_ = 0;
};

// Wait before the next restart of a role that has been restarted `recent` times within the
// window: 100 ms doubling per recent restart, at most 2 s.
[[nodiscard]] std::uint64_t restart_delay_ms(std::uint32_t recent);

}  // namespace dupipe::supervisor
