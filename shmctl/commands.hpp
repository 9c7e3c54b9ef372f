// The subcommands of dupipe-shm, the launcher's and the student's handle on shared-memory links:
// create a link's queue, show its depth and peers, list the record a dead reader held, remove
// names, and clean up segments whose run is dead. Each writes its result to `out`.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "common/base/logger.hpp"

namespace dupipe::shmctl {

struct CreateOptions {
  std::string name;
  std::uint32_t writers = 1;
  std::size_t capacity_bytes = 1 << 20;
  pid_t owner_pid = 0;     // 0: this process (the segment is stale as soon as dupipe-shm exits)
  bool held_open = false;  // end of stream only after `release` (a supervisor restarts stages)
};

// FatalError naming the segment if it exists already or cannot be made.
void create_segment(const CreateOptions& options);

// Ends the hold of a queue created with held_open (ShmQueue::release).
void release_segment(const std::string& name);

// One line per segment (or one JSON object per line with `as_json`).
void print_stats(const std::vector<std::string>& names, bool as_json, std::ostream& out);

// Creates a run's live-counter area (common/observe/stage_stats.hpp) exclusively.
void create_stats_area(const std::string& name, std::uint32_t slots, pid_t owner_pid);

// One line (or JSON object) per stage that claimed a slot of the stats area.
void print_stages(const std::string& name, bool as_json, std::ostream& out);

// The records readers took and never acknowledged, one protocol line each.
void print_orphans(const std::string& name, std::ostream& out);

// Returns how many of the names did not exist.
[[nodiscard]] int remove_segments(const std::vector<std::string>& names, const Logger& logger);

// Lists every dupipe segment; removes the stale ones unless `is_dry_run`.
void cleanup(bool is_dry_run, std::ostream& out);

}  // namespace dupipe::shmctl
