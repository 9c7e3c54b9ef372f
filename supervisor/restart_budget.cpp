#include "supervisor/restart_budget.hpp"

#include <algorithm>

namespace dupipe::supervisor {

std::uint32_t RestartBudget::recent(const std::string& role, std::uint64_t now_ms) {
  auto& granted = granted_ms_[role];
  // A restart exactly period_ms ago has left the window.
  while (!granted.empty() && granted.front() + policy_.period_ms <= now_ms) granted.pop_front();
  return static_cast<std::uint32_t>(granted.size());
}

bool RestartBudget::try_spend(const std::string& role, std::uint64_t now_ms) {
  if (recent(role, now_ms) >= policy_.max_restarts) return false;
  granted_ms_[role].push_back(now_ms);
  ++total_;
  return true;
}

std::uint64_t restart_delay_ms(std::uint32_t recent) {
  constexpr std::uint64_t kFirstMs = 100;
  constexpr std::uint64_t kLongestMs = 2000;
  if (recent >= 5) return kLongestMs;  // 100 << 5 is past the cap already
  return std::min(kFirstMs << recent, kLongestMs);
}

}  // namespace dupipe::supervisor
