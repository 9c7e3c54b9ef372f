// Live counters of a run's stages in one shared-memory area (/dev/shm/dupipe-RUNID-stats), so a
// monitor (dupipe-top) can show, at any moment, what each process is doing: its pid, role,
// activity (reading / working / writing, and since when), records and bytes in and out, failures
// and the record it works on. A stage claims one slot and updates it with plain atomic stores:
// no system call per record. The launcher creates the area; a stage without one (a plain shell
// pipe) simply has no StageStats. A slot is written by its stage only, its input counters by one
// thread and its output counters by one thread; any number of processes read it.
#pragma once

#include <sys/types.h>

#include <boost/interprocess/mapped_region.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/error.hpp"
#include "common/os/process_liveness.hpp"

namespace dupipe {

class TraceRecorder;

namespace stats {
struct AreaHeader;
struct StageSlot;
}  // namespace stats

// What a stage is doing now. kReading / kWriting last as long as the stage waits inside the
// endpoint: a long kReading is "blocked on read", a long kWriting "blocked on write".
enum class Activity : std::uint32_t { kStarting = 0, kReading, kWorking, kWriting, kDone };

[[nodiscard]] std::string_view activity_name(Activity activity);

// CLOCK_MONOTONIC in nanoseconds (vDSO: no system call): the clock of activity_since_ns.
[[nodiscard]] std::uint64_t monotonic_ns();

// The environment variable through which the launcher names the area to the stages.
inline constexpr const char* kStatsEnvironment = "DUPIPE_STATS";
// And the pass of the run a stage belongs to (1, 2, ... : a re-feed is a new pass); 0 if unset.
inline constexpr const char* kPassEnvironment = "DUPIPE_PASS";

struct StageSnapshot {
  pid_t pid = 0;
  std::uint64_t start_ticks = 0;
  std::string role;
  std::uint32_t pass = 0;  // DUPIPE_PASS when the stage started; 0 outside a launcher's run
  Activity activity = Activity::kStarting;
  std::uint64_t activity_since_ns = 0;  // CLOCK_MONOTONIC
  std::uint64_t started_unix_ms = 0;
  std::uint64_t records_in = 0;
  std::uint64_t records_out = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t failures_out = 0;   // F records written
  std::uint64_t payload_bytes = 0;  // sizes of the files named by P records written (downloads)
  std::string current_item;         // empty while the item is being replaced
  bool is_alive = false;
};

// One mapping of an area. Owns the mapping, not the name (remove it with remove()).
class StatsArea {
 public:
  // Creates the area exclusively (mode 0600) with `slots` slots; FatalError if the name exists.
  static void create(const std::string& name, std::uint32_t slots,
                     std::optional<ProcessIdentity> owner);
  [[nodiscard]] static StatsArea open(const std::string& name);
  // The same for an observer (top, shmctl, the supervisor's views): an Error naming the area,
  // with the errno kept (ENOENT: the run ended), instead of a FatalError.
  [[nodiscard]] static Expected<StatsArea> try_open(const std::string& name);
  static bool remove(const std::string& name);

  // Every claimed slot, in the order the stages started; liveness checked now.
  [[nodiscard]] std::vector<StageSnapshot> snapshot() const;
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] ProcessIdentity owner() const;  // the launcher that created it

 private:
  friend class StageStats;
  StatsArea(std::string name, boost::interprocess::mapped_region region);
  [[nodiscard]] stats::AreaHeader& header() const;
  [[nodiscard]] stats::StageSlot& slot(std::uint32_t index) const;

  std::string name_;
  boost::interprocess::mapped_region region_;
  std::uint32_t slots_ = 0;  // copied once from the validated header
};

// This process's slot. Not thread-safe: one StageStats per stage process, used by its endpoints.
class StageStats {
 public:
  // The slot of a stage called `role`, of the pass DUPIPE_PASS names, in the area DUPIPE_STATS
  // names; nullptr without one. A full or broken area is reported on stderr by the caller's
  // logger, never fatal: counters are a view.
  [[nodiscard]] static std::unique_ptr<StageStats> from_environment(std::string_view role,
                                                                    std::string* problem);
  StageStats(StatsArea area, std::string_view role, std::uint32_t pass = 0);  // FatalError if full
  StageStats(const StageStats&) = delete;
  StageStats& operator=(const StageStats&) = delete;
  ~StageStats();  // marks the stage done, then ends its trace

  // Returns the time it stored (monotonic_ns), for the caller's trace.
  std::uint64_t set_activity(Activity activity);
  void record_in(std::string_view line);   // counts it and makes it the current item
  void record_out(std::string_view line);  // counts its records (and F records as failures)

  // --trace: the instrumented endpoints report their calls to this recorder too.
  void attach_trace(std::unique_ptr<TraceRecorder> trace);
  [[nodiscard]] TraceRecorder* trace() const { return trace_.get(); }

 private:
  // Takes the next free slot of `area`: its index, or an Error when every slot is taken.
  [[nodiscard]] static Expected<std::uint32_t> claim_slot(const StatsArea& area);
  StageStats(std::uint32_t index, StatsArea&& area, std::string_view role, std::uint32_t pass);

  StatsArea area_;
  stats::StageSlot* slot_ = nullptr;
  std::unique_ptr<TraceRecorder> trace_;
};

}  // namespace dupipe
