#include "shmctl/commands.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/exit_code.hpp"
#include "common/shm_queue.hpp"
#include "shmctl/segment_inventory.hpp"

namespace dupipe::shmctl {
namespace {

nlohmann::json stats_json(const std::string& name, const ShmQueueStats& s) {
  return {
      {"name", name},
      {"records_queued", s.records_queued},
      {"bytes_used", s.bytes_used},
      {"capacity_bytes", s.capacity_bytes},
      {"records_sent", s.records_sent},
      {"records_taken", s.records_taken},
      {"writers",
       {{"expected", s.writers_expected},
        {"attached", s.writers_attached},
        {"finished", s.writers_finished},
        {"dead", s.writers_dead}}},
      {"readers",
       {{"attached", s.readers_attached}, {"closed", s.readers_closed}, {"dead", s.readers_dead}}},
      {"repairs", s.repairs}};
}

std::string stats_line(const std::string& name, const ShmQueueStats& s) {
  return name + ": " + std::to_string(s.records_queued) + " records queued, " +
         std::to_string(s.bytes_used) + "/" + std::to_string(s.capacity_bytes) + " bytes; sent " +
         std::to_string(s.records_sent) + ", taken " + std::to_string(s.records_taken) +
         "; writers " + std::to_string(s.writers_attached) + " attached, " +
         std::to_string(s.writers_finished) + "/" + std::to_string(s.writers_expected) +
         " finished, " + std::to_string(s.writers_dead) + " dead; readers " +
         std::to_string(s.readers_attached) + " attached, " + std::to_string(s.readers_closed) +
         " closed, " + std::to_string(s.readers_dead) + " dead; repairs " +
         std::to_string(s.repairs);
}

}  // namespace

void create_segment(const CreateOptions& options) {
  ShmQueueOptions queue_options;
  queue_options.capacity_bytes = options.capacity_bytes;
  queue_options.expected_writers = options.writers;
  if (options.owner_pid != 0) {
    queue_options.owner = process_identity(options.owner_pid);
    if (!queue_options.owner) {
      throw FatalError("owner pid " + std::to_string(options.owner_pid) + " is not running",
                       ExitCode::kUsage);
    }
  }
  (void)ShmQueue::create(options.name, queue_options);
}

void print_stats(const std::vector<std::string>& names, bool as_json, std::ostream& out) {
  for (const std::string& name : names) {
    const ShmQueueStats stats = ShmQueue::open(name).stats();
    out << (as_json ? stats_json(name, stats).dump() : stats_line(name, stats)) << '\n';
  }
}

void print_orphans(const std::string& name, std::ostream& out) {
  for (const OrphanedRecord& orphan : ShmQueue::open(name).orphaned_records()) {
    out << orphan.bytes << '\n';
  }
}

int remove_segments(const std::vector<std::string>& names, const Logger& logger) {
  int missing = 0;
  for (const std::string& name : names) {
    if (!ShmQueue::remove(name)) {
      logger.warning("shm segment " + name + ": no such segment");
      ++missing;
    }
  }
  return missing;
}

void cleanup(bool is_dry_run, std::ostream& out) {
  int removed = 0;
  for (const SegmentInfo& segment : list_segments()) {
    out << describe(segment);
    if (is_stale(segment) && !is_dry_run) {
      out << (ShmQueue::remove(segment.name) ? ": removed" : ": already gone");
      ++removed;
    }
    out << '\n';
  }
  out << (is_dry_run ? "dry run: nothing removed" : std::to_string(removed) + " removed") << '\n';
}

}  // namespace dupipe::shmctl
