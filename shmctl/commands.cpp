#include "shmctl/commands.hpp"

#include <nlohmann/json.hpp>

#include "common/base/error.hpp"
#include "common/base/exit_code.hpp"
#include "common/observe/stage_stats.hpp"
#include "common/shm/shm_queue.hpp"
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

nlohmann::json stage_json(const StageSnapshot& s) {
  return {{"pid", s.pid},
          {"role", s.role},
          {"pass", s.pass},
          {"activity", std::string(activity_name(s.activity))},
          {"activity_since_ns", s.activity_since_ns},
          {"started_unix_ms", s.started_unix_ms},
          {"records_in", s.records_in},
          {"records_out", s.records_out},
          {"bytes_in", s.bytes_in},
          {"bytes_out", s.bytes_out},
          {"failures_out", s.failures_out},
          {"payload_bytes", s.payload_bytes},
          {"current_item", s.current_item},
          {"alive", s.is_alive}};
}

std::string stage_line(const StageSnapshot& s) {
  return std::to_string(s.pid) + " " + s.role + " " + std::string(activity_name(s.activity)) +
         (s.is_alive ? "" : " (exited)") + ": in " + std::to_string(s.records_in) + ", out " +
         std::to_string(s.records_out) + " (" + std::to_string(s.failures_out) + " failures)";
}

std::optional<ProcessIdentity> owner_or_throw(pid_t owner_pid) {
  if (owner_pid == 0) return std::nullopt;
  auto owner = process_identity(owner_pid);
  if (!owner) {
    throw FatalError("owner pid " + std::to_string(owner_pid) + " is not running",
                     ExitCode::kUsage);
  }
  return owner;
}

}  // namespace

void create_stats_area(const std::string& name, std::uint32_t slots, pid_t owner_pid) {
  StatsArea::create(name, slots, owner_or_throw(owner_pid));
}

void print_stages(const std::string& name, bool as_json, std::ostream& out) {
  for (const StageSnapshot& stage : StatsArea::open(name).snapshot()) {
    out << (as_json ? stage_json(stage).dump() : stage_line(stage)) << '\n';
  }
}

void create_segment(const CreateOptions& options) {
  ShmQueueOptions queue_options;
  queue_options.capacity_bytes = options.capacity_bytes;
  queue_options.expected_writers = options.writers;
  queue_options.owner = owner_or_throw(options.owner_pid);
  queue_options.held_open = options.held_open;
  (void)ShmQueue::create(options.name, queue_options);
}

void release_segment(const std::string& name) { ShmQueue::open(name).release(); }

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
