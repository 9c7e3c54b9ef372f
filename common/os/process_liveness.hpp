// Whether a process recorded by pid is still alive, robust against pid reuse: a pid is paired with
// its start time (field 22 of /proc/<pid>/stat), so a later process with the same pid counts as a
// different one. Used by the shm queue to notice peers killed without detaching.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace dupipe {

struct ProcessIdentity {
  pid_t pid = 0;
  std::uint64_t start_ticks = 0;  // 0: /proc was not readable, only kill(2) is used
};

// This process, with its start time when /proc is readable.
[[nodiscard]] ProcessIdentity self_identity();

// Another process by pid, with its start time; nullopt if there is no such process.
[[nodiscard]] std::optional<ProcessIdentity> process_identity(pid_t pid);

// Dead means: no such pid, a zombie, or the pid now belongs to a process started later. When in
// doubt (/proc unreadable) the process counts as alive; the next check, 200 ms later, decides.
[[nodiscard]] bool is_alive(const ProcessIdentity& process);

}  // namespace dupipe
