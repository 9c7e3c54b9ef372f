#include "supervisor/link_writers.hpp"

namespace dupipe::supervisor {

void LinkWriters::expect(const std::string& link, int count) { remaining_[link] += count; }

std::vector<std::string> LinkWriters::finished(const std::vector<std::string>& links) {
  std::vector<std::string> released;
  for (const std::string& link : links) {
    auto found = remaining_.find(link);
    if (found == remaining_.end() || found->second <= 0) continue;  // already released
    if (--found->second == 0) released.push_back(link);
  }
  return released;
}

int LinkWriters::remaining(const std::string& link) const {
  auto found = remaining_.find(link);
  return found == remaining_.end() ? 0 : found->second;
}

}  // namespace dupipe::supervisor
