// What dupipe shared-memory segments exist on this machine, who owns each and whether that owner
// is still alive. A segment is stale once its owner (the launcher that created it, recorded in the
// queue header) is dead; only stale segments may be removed by `dupipe-shm cleanup`.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/os/process_liveness.hpp"

namespace dupipe::shmctl {

inline constexpr std::string_view kSegmentPrefix = "dupipe-";

enum class OwnerState { kAlive, kDead, kUnknown };

struct SegmentInfo {
  std::string name;
  std::optional<ProcessIdentity> owner;  // from the header, else the first pid in the name
  OwnerState owner_state = OwnerState::kUnknown;
  std::string problem;  // why the header could not be read; empty for a valid queue
};

// The first dash-separated field after "dupipe-" that is all digits: launcher and test names
// carry their creator's pid there ("dupipe-<pid>-<hex>-urls", "dupipe-<tag>-<pid>-<hex>").
[[nodiscard]] std::optional<pid_t> pid_in_name(std::string_view name);

// Every "dupipe-*" entry of `shm_dir` (normally /dev/shm), sorted by name.
[[nodiscard]] std::vector<SegmentInfo> list_segments(
    const std::filesystem::path& shm_dir = "/dev/shm");

[[nodiscard]] bool is_stale(const SegmentInfo& segment);

[[nodiscard]] std::string describe(const SegmentInfo& segment);

}  // namespace dupipe::shmctl
