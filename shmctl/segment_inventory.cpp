#include "shmctl/segment_inventory.hpp"

#include <algorithm>
#include <charconv>

#include "common/base/error.hpp"
#include "common/observe/stage_stats.hpp"
#include "common/shm/shm_queue.hpp"

namespace dupipe::shmctl {
namespace {

bool is_all_digits(std::string_view field) {
  return !field.empty() &&
         std::all_of(field.begin(), field.end(), [](char c) { return c >= '0' && c <= '9'; });
}

SegmentInfo inspect(const std::string& name) {
  SegmentInfo info{name, std::nullopt, OwnerState::kUnknown, ""};
  if (auto queue = ShmQueue::try_open(name)) {
    info.owner = queue->owner();
  } else if (auto area = StatsArea::try_open(name)) {
    info.owner = area->owner();  // a run's live counters
  } else {
    info.problem = queue.error().message;
    if (const auto pid = pid_in_name(name)) info.owner = ProcessIdentity{*pid, 0};
  }
  if (info.owner) info.owner_state = is_alive(*info.owner) ? OwnerState::kAlive : OwnerState::kDead;
  return info;
}

}  // namespace

std::optional<pid_t> pid_in_name(std::string_view name) {
  if (!name.starts_with(kSegmentPrefix)) return std::nullopt;
  std::string_view rest = name.substr(kSegmentPrefix.size());
  while (!rest.empty()) {
    const auto dash = rest.find('-');
    const std::string_view field = rest.substr(0, dash);
    pid_t pid = 0;
    if (is_all_digits(field) && field.size() <= 9 &&
        std::from_chars(field.data(), field.data() + field.size(), pid).ec == std::errc{} &&
        pid > 0) {
      return pid;
    }
    if (dash == std::string_view::npos) break;
    rest.remove_prefix(dash + 1);
  }
  return std::nullopt;
}

std::vector<SegmentInfo> list_segments(const std::filesystem::path& shm_dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(shm_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(kSegmentPrefix)) names.push_back(name);
  }
  if (error) throw FatalError(shm_dir.string() + ": cannot list: " + error.message());
  std::sort(names.begin(), names.end());
  std::vector<SegmentInfo> segments;
  for (const std::string& name : names) segments.push_back(inspect(name));
  return segments;
}

bool is_stale(const SegmentInfo& segment) { return segment.owner_state == OwnerState::kDead; }

std::string describe(const SegmentInfo& segment) {
  std::string text = segment.name + ": ";
  switch (segment.owner_state) {
    case OwnerState::kAlive:
      text += "in use (owner pid " + std::to_string(segment.owner->pid) + " is running)";
      break;
    case OwnerState::kDead:
      text += "stale (owner pid " + std::to_string(segment.owner->pid) + " is gone)";
      break;
    case OwnerState::kUnknown:
      text += "owner unknown, left alone";
      break;
  }
  if (!segment.problem.empty()) text += "; " + segment.problem;
  return text;
}

}  // namespace dupipe::shmctl
