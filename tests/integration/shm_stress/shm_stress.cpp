// shm_stress: W writer and R reader processes share ONE shared-memory queue (common/shm/shm_queue);
// the parent checks that the multiset of records received equals the multiset sent, every record
// intact. --mode kill-reader / kill-writer SIGKILLs one reader / writer mid-stream and checks that
// the others still finish and that nothing sent is lost except what the dead reader held in flight
// (received ∪ in-flight == sent). With --kill-inside-lock the victim SIGKILLs itself at a point
// inside the queue's critical section instead, so every round exercises the lock repair. Every
// wait has a deadline; the per-run segment is removed on every exit path but SIGKILL of this
// program.
// Exit status: 0 pass, 1 fail, 2 bad usage, 128+N stopped by signal N.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/base/error.hpp"
#include "common/base/exit_code.hpp"
#include "common/base/logger.hpp"
#include "common/shm/shm_queue.hpp"
#include "tests/integration/shm_stress/stress_records.hpp"
#include "tests/support/child_processes.hpp"

namespace dupipe::shm_stress {
namespace {

using testing::ChildExit;
using testing::ChildProcesses;
using testing::SignalBlock;
using testing::wait_for_signal;

using Clock = std::chrono::steady_clock;

enum class Mode { kDeliver, kKillReader, kKillWriter };

const std::map<std::string, Mode> kModes{{"deliver", Mode::kDeliver},
                                         {"kill-reader", Mode::kKillReader},
                                         {"kill-writer", Mode::kKillWriter}};

struct Config {
  Mode mode = Mode::kDeliver;
  Workload workload;
  std::uint32_t readers = 4;
  std::size_t capacity_bytes = 256 * 1024;
  bool is_kill_inside_lock = false;
  int repeat = 1;
  int timeout_s = 120;
};

std::string mode_name(Mode mode) {
  for (const auto& [name, value] : kModes) {
    if (value == mode) return name;
  }
  return "?";
}

// The child to SIGKILL and when: by the parent once `kill_at` records were delivered (reader) or
// sent (writer); or, with `inside`, by itself on its `kill_at`-th pass of that fault point.
struct Victim {
  bool is_planned = false;
  bool is_writer = false;
  std::uint32_t index = 0;
  std::uint64_t kill_at = 0;
  std::optional<ShmFaultPoint> inside;
  pid_t pid = -1;
  bool is_killed = false;
  std::uint64_t progress_at_kill = 0;
  // How long after the kill the survivors moved the queue again (or all finished).
  std::optional<std::chrono::milliseconds> recovery;
};

// Survivors must move the queue (a send or a take) within this time after the victim's death.
constexpr auto kMaxRecovery = std::chrono::seconds(1);

// Watches the queue after the kill: progress is any record sent or taken since the death.
class RecoveryWatch {
 public:
  explicit RecoveryWatch(const ShmQueue& queue) : queue_(queue) {}
  void victim_died() {
    is_watching_ = true;
    killed_at_ = Clock::now();
    moves_at_kill_ = moves();
  }
  // Empty while waiting or once recovered (latency stored in the victim); else the failure.
  std::string check(Victim& victim, bool are_survivors_done) {
    if (!is_watching_ || victim.recovery) return {};
    const auto waited = Clock::now() - killed_at_;
    if (moves() > moves_at_kill_ || are_survivors_done) {
      victim.recovery = std::chrono::duration_cast<std::chrono::milliseconds>(waited);
      return {};
    }
    if (waited <= kMaxRecovery) return {};
    return "no survivor sent or took a record within 1 s after the victim's SIGKILL";
  }

 private:
  [[nodiscard]] std::uint64_t moves() const {
    const ShmQueueStats stats = queue_.stats();
    return stats.records_sent + stats.records_taken;
  }
  const ShmQueue& queue_;
  bool is_watching_ = false;
  Clock::time_point killed_at_{};
  std::uint64_t moves_at_kill_ = 0;
};

const char* point_name(ShmFaultPoint point) {
  switch (point) {
    case ShmFaultPoint::kWriterBeforeCommit:
      return "writer before commit";
    case ShmFaultPoint::kReaderBeforeCommit:
      return "reader before commit";
    case ShmFaultPoint::kReaderAfterCommit:
      return "reader after commit";
  }
  return "?";
}

Victim plan_victim(const Config& config, std::mt19937_64& random) {
  Victim victim;
  if (config.mode == Mode::kDeliver) return victim;
  victim.is_planned = true;
  victim.is_writer = config.mode == Mode::kKillWriter;
  const std::uint32_t peers = victim.is_writer ? config.workload.writers : config.readers;
  victim.index = static_cast<std::uint32_t>(random() % peers);
  // Somewhere in the middle of the stream: between 10% and 60% of the victim's measure.
  const std::uint64_t span =
      victim.is_writer ? records_of(config.workload, victim.index) : config.workload.records;
  victim.kill_at = 1 + span / 10 + random() % (span / 2 + 1);
  if (config.is_kill_inside_lock && !victim.is_writer) {
    // Counted in the victim's own takes, and readers' shares are uneven: 5-15% of a fair share.
    const std::uint64_t share = span / config.readers;
    victim.kill_at = 1 + share / 20 + random() % (share / 10 + 1);
  }
  if (config.is_kill_inside_lock) {
    // The fault point is passed once per batch; a reader's takes of whole batches are few and
    // uneven (others may drain the queue first), so with batches it dies on its first take.
    if (config.workload.batch > 1) {
      victim.kill_at = victim.is_writer ? 1 + (victim.kill_at - 1) / config.workload.batch : 1;
    }
    victim.inside = victim.is_writer    ? ShmFaultPoint::kWriterBeforeCommit
                    : random() % 2 == 0 ? ShmFaultPoint::kReaderBeforeCommit
                                        : ShmFaultPoint::kReaderAfterCommit;
  }
  return victim;
}

// In the victim child: die by SIGKILL, holding the queue lock, on the chosen pass.
void arm_self_kill(ShmQueue& queue, const Victim& victim) {
  if (!victim.inside) return;
  queue.set_fault_hook_for_testing([point = *victim.inside, at = victim.kill_at,
                                    passes = std::uint64_t{0}](ShmFaultPoint reached) mutable {
    if (reached == point && ++passes == at) ::raise(SIGKILL);
  });
}

std::uint64_t total_received(const Board& board, std::uint32_t readers) {
  std::uint64_t total = 0;
  for (std::uint32_t r = 0; r < readers; ++r) total += board.received_by(r).load();
  return total;
}

std::uint64_t victim_progress(const Victim& victim, const Board& board, std::uint32_t readers) {
  return victim.is_writer ? board.sent_by(victim.index).load() : total_received(board, readers);
}

// With `after_a_death`, the reader is attached (so writers see a live reader) but takes nothing
// before a reader has died (at most 10 s): see spawn_children.
int run_reader(const std::string& name, const Workload& workload, const Board& board,
               std::uint32_t reader_index, const Victim* victim, bool after_a_death) {
  ShmQueueReader reader(ShmQueue::open(name));
  if (victim != nullptr) arm_self_kill(reader.queue(), *victim);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (after_a_death && reader.queue().stats().readers_dead == 0 && Clock::now() < deadline) {
    (void)wait_for_signal(std::chrono::milliseconds(1), false);
  }
  std::optional<std::string> single;
  while (true) {
    // batch 1 goes through receive(), the call the stages' endpoints make
    std::span<const std::string_view> batch;
    std::string_view single_view;
    if (workload.batch == 1) {
      single = reader.receive();
      if (single) single_view = *single;
      batch = single ? std::span(&single_view, 1) : std::span<const std::string_view>();
    } else {
      batch = reader.receive_batch(workload.batch);
    }
    if (batch.empty()) return 0;
    for (const std::string_view record : batch) {
      const auto index = verify_record(workload, record);
      if (!index) {
        throw FatalError("received a record of " + std::to_string(record.size()) +
                         " bytes that no writer sent (corrupt or foreign)");
      }
      board.delivered(*index).fetch_add(1);  // before acknowledge: a kill in between is counted
      board.received_by(reader_index).fetch_add(1);
    }
    reader.acknowledge();
  }
}

int run_writer(const std::string& name, const Workload& workload, const Board& board,
               std::uint32_t writer_index, const Victim* victim) {
  ShmQueueWriter writer(ShmQueue::open(name));
  if (victim != nullptr) arm_self_kill(writer.queue(), *victim);
  const std::uint64_t count = records_of(workload, writer_index);
  std::vector<std::string> records;
  std::vector<std::string_view> views;
  for (std::uint64_t seq = 0; seq < count;) {
    records.clear();
    views.clear();
    for (; seq < count && records.size() < workload.batch; ++seq) {
      records.push_back(make_record(workload, writer_index, seq));
    }
    for (const std::string& record : records) views.push_back(record);
    if (views.size() == 1) {
      writer.send(views.front());
    } else {
      writer.send_batch(views);
    }
    board.sent_by(writer_index).store(seq);
  }
  writer.close();
  return 0;
}

// Waits (at most 5 s) until the queue's stats satisfy `is_ready`.
template <typename Predicate>
void await_stats(const ShmQueue& queue, const Predicate& is_ready) {
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!is_ready(queue.stats()) && Clock::now() < deadline) {
    (void)wait_for_signal(std::chrono::milliseconds(1), false);
  }
}

// Readers first, and writers only once every reader has attached: otherwise a reader scheduled
// late may find the stream drained, and a victim reader could die of nothing. A reader that is to
// die inside its first batch take goes first: the others are attached but take nothing before its
// death, since spinning peers would otherwise take every batch before it gets one (it would never
// be killed). Spawned only after its death, as first built, they were sometimes not yet attached
// when the writers filled the ring, and a writer then saw "every reader has gone" (under ASan).
void spawn_children(const Config& config, const ShmQueue& queue, const Board& board, Victim& victim,
                    ChildProcesses& children) {
  const std::string& name = queue.name();
  const bool is_reader_victim = victim.is_planned && !victim.is_writer;
  const bool goes_first = is_reader_victim && victim.inside && config.workload.batch > 1;
  for (std::uint32_t r = 0; r < config.readers; ++r) {
    const bool is_victim = is_reader_victim && victim.index == r;
    const bool after_a_death = goes_first && !is_victim;
    const auto role = "reader " + std::to_string(r);
    const pid_t pid = children.spawn(role, [&, r, is_victim, after_a_death](const Logger&) {
      return run_reader(name, config.workload, board, r, is_victim ? &victim : nullptr,
                        after_a_death);
    });
    if (is_victim) victim.pid = pid;
  }
  await_stats(queue, [&](const ShmQueueStats& s) { return s.readers_attached >= config.readers; });
  for (std::uint32_t w = 0; w < config.workload.writers; ++w) {
    const bool is_victim = victim.is_planned && victim.is_writer && victim.index == w;
    const pid_t pid = children.spawn("writer " + std::to_string(w), [&, w](const Logger&) {
      return run_writer(name, config.workload, board, w, is_victim ? &victim : nullptr);
    });
    if (is_victim) victim.pid = pid;
  }
}

struct Supervision {
  std::string failure;  // empty when every child but the victim exited with status 0
  int stop_signal = 0;
};

// Collects exits (the victim may die of SIGKILL, nobody else may fail), kills the victim when its
// moment comes, and gives up at the deadline (ChildProcesses' destructor then kills the rest).
Supervision supervise(const Config& config, ChildProcesses& children, const Board& board,
                      Victim& victim, RecoveryWatch& recovery) {
  const auto deadline = Clock::now() + std::chrono::seconds(config.timeout_s);
  while (true) {
    std::string failures;
    for (const ChildExit& exited : children.reap_exited()) {
      const bool is_victim = exited.pid == victim.pid;
      if (is_victim && victim.inside && exited.is_sigkilled()) {
        victim.is_killed = true;  // by itself, inside the lock
        victim.progress_at_kill = victim_progress(victim, board, config.readers);
        recovery.victim_died();
      }
      if (is_victim && victim.is_killed && exited.is_sigkilled()) continue;
      if (!exited.is_success()) failures += "; " + exited.role + " " + exited.how();
    }
    if (!failures.empty()) return {failures.substr(2), 0};
    if (victim.is_planned && !victim.inside && !victim.is_killed &&
        victim_progress(victim, board, config.readers) >= victim.kill_at) {
      victim.progress_at_kill = victim_progress(victim, board, config.readers);
      victim.is_killed = ::kill(victim.pid, SIGKILL) == 0;
      if (victim.is_killed) recovery.victim_died();
    }
    if (std::string stuck = recovery.check(victim, children.is_done()); !stuck.empty()) {
      return {stuck, 0};
    }
    if (children.is_done()) return {};
    if (Clock::now() >= deadline) {
      return {"timed out after " + std::to_string(config.timeout_s) +
                  " s; still running: " + children.running_roles(),
              0};
    }
    const bool is_kill_pending = victim.is_planned && !victim.inside && !victim.is_killed;
    if (const int signal_number =
            wait_for_signal(std::chrono::milliseconds(is_kill_pending ? 1 : 50))) {
      return {"stopped by signal " + std::to_string(signal_number), signal_number};
    }
  }
}

// Up to a few examples per kind of problem, then a count.
class Problems {
 public:
  void add(const std::string& kind, const std::string& example) {
    auto& [count, examples] = kinds_[kind];
    if (++count <= 3) examples += (examples.empty() ? "" : ", ") + example;
  }
  [[nodiscard]] std::string text() const {
    std::string text;
    for (const auto& [kind, entry] : kinds_) {
      text += (text.empty() ? "" : "; ") + std::to_string(entry.first) + " " + kind + " (" +
              entry.second + (entry.first > 3 ? ", ..." : "") + ")";
    }
    return text;
  }

 private:
  std::map<std::string, std::pair<std::uint64_t, std::string>> kinds_;
};

std::string record_name(const Workload& workload, std::uint64_t index) {
  std::uint32_t writer = 0;
  while (index >= first_index(workload, writer) + records_of(workload, writer)) ++writer;
  return "writer " + std::to_string(writer) + " #" +
         std::to_string(index - first_index(workload, writer));
}

// A killed writer committed a prefix of its records; each of those must arrive exactly once.
void check_killed_writer(const Workload& workload, const Board& board, const Victim& victim,
                         Problems& problems) {
  const std::uint64_t first = first_index(workload, victim.index);
  const std::uint64_t count = records_of(workload, victim.index);
  std::uint64_t prefix = 0;
  while (prefix < count && board.delivered(first + prefix).load() == 1) ++prefix;
  for (std::uint64_t seq = prefix; seq < count; ++seq) {
    if (board.delivered(first + seq).load() != 0) {
      problems.add("records of the killed writer after a gap", record_name(workload, first + seq));
    }
  }
  // A batch may be committed in parts when the ring is short of room, so a killed writer may
  // have committed up to one whole batch beyond what its last returned call reported.
  const std::uint64_t returned = board.sent_by(victim.index).load();
  if (prefix < returned || prefix > returned + workload.batch) {
    problems.add(
        "killed-writer prefix mismatches",
        std::to_string(prefix) + " received, " + std::to_string(returned) + " sends returned");
  }
}

std::string check_delivery(const Config& config, const Board& board, const Victim& victim,
                           const std::vector<OrphanedRecord>& orphans) {
  Problems problems;
  std::set<std::uint64_t> in_flight;
  for (const OrphanedRecord& orphan : orphans) {
    const auto index = verify_record(config.workload, orphan.bytes);
    if (!index) problems.add("orphans that are no record", "id " + std::to_string(orphan.id.value));
    if (orphan.reader_pid != victim.pid || !orphan.is_reader_dead) {
      problems.add("orphans not held by the killed reader",
                   "pid " + std::to_string(orphan.reader_pid));
    }
    if (index) in_flight.insert(*index);
  }
  const bool has_killed_writer = victim.is_killed && victim.is_writer;
  const std::uint64_t skip_first =
      has_killed_writer ? first_index(config.workload, victim.index) : 0;
  const std::uint64_t skip_end =
      has_killed_writer ? skip_first + records_of(config.workload, victim.index) : 0;
  for (std::uint64_t i = 0; i < config.workload.records; ++i) {
    if (i >= skip_first && i < skip_end) continue;
    const std::uint32_t count = board.delivered(i).load();
    if (count > 1) problems.add("duplicated records", record_name(config.workload, i));
    if (count == 0 && in_flight.count(i) == 0)
      problems.add("lost records", record_name(config.workload, i));
  }
  if (has_killed_writer) check_killed_writer(config.workload, board, victim, problems);
  return problems.text();
}

struct RoundResult {
  std::string failure;  // empty on success
  int stop_signal = 0;
  double elapsed_s = 0;
  ShmQueueStats stats;
  std::vector<std::uint64_t> per_reader;
  std::size_t orphans = 0;
  Victim victim;
};

RoundResult run_round(const Config& config, const SignalBlock& signals) {
  const std::string name = make_shm_name("stress");
  ShmQueue queue = ShmQueue::create(
      name, {config.capacity_bytes, config.workload.writers, 2 * config.readers, std::nullopt});
  const ShmNameRemover remover(
      name);  // declared before the children: removed after they are reaped
  const Board board(config.workload.records, config.workload.writers, config.readers);
  std::mt19937_64 random(config.workload.seed);
  RoundResult result;
  result.victim = plan_victim(config, random);
  const auto start = Clock::now();
  {
    ChildProcesses children(signals.previous(), "shm_stress");
    spawn_children(config, queue, board, result.victim, children);
    RecoveryWatch recovery(queue);
    const Supervision supervision = supervise(config, children, board, result.victim, recovery);
    result.failure = supervision.failure;
    result.stop_signal = supervision.stop_signal;
  }
  result.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (!result.failure.empty()) return result;
  if (result.victim.is_planned && !result.victim.is_killed) {
    result.failure = "the victim ended before it could be killed; nothing was tested";
    return result;
  }
  const auto orphans = queue.orphaned_records();
  result.orphans = orphans.size();
  result.stats = queue.stats();
  for (std::uint32_t r = 0; r < config.readers; ++r)
    result.per_reader.push_back(board.received_by(r).load());
  result.failure = check_delivery(config, board, result.victim, orphans);
  if (result.victim.inside && result.stats.repairs == 0) {
    result.failure += (result.failure.empty() ? "" : "; ") +
                      std::string("the victim died holding the lock but no repair was counted");
  }
  if (result.stats.records_queued != 0 || result.stats.bytes_used != 0) {
    result.failure += (result.failure.empty() ? "" : "; ") + std::string("queue not drained: ") +
                      std::to_string(result.stats.records_queued) + " records left";
  }
  return result;
}

std::uint64_t total_bytes(const Workload& workload) {
  std::uint64_t bytes = 0;
  for (std::uint32_t w = 0; w < workload.writers; ++w) {
    for (std::uint64_t seq = 0; seq < records_of(workload, w); ++seq) {
      bytes += record_length(workload, w, seq);
    }
  }
  return bytes;
}

std::string summarize(const Config& config, const RoundResult& result) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(2);
  const auto& workload = config.workload;
  out << mode_name(config.mode) << " seed " << workload.seed << ": " << workload.writers
      << " writers -> " << config.readers << " readers, " << workload.records << " records ("
      << static_cast<double>(total_bytes(workload)) / 1e6 << " MB) through "
      << config.capacity_bytes / 1024 << " KiB in " << result.elapsed_s << " s ("
      << static_cast<std::uint64_t>(static_cast<double>(result.stats.records_taken) /
                                    result.elapsed_s)
      << " records/s); per reader";
  for (const std::uint64_t count : result.per_reader) out << ' ' << count;
  if (result.victim.is_killed) {
    out << "; SIGKILLed " << (result.victim.is_writer ? "writer " : "reader ")
        << result.victim.index << " at " << result.victim.progress_at_kill
        << (result.victim.is_writer ? " sent" : " delivered");
    if (result.victim.inside)
      out << " (inside the lock: " << point_name(*result.victim.inside) << ")";
    out << ", in flight " << result.orphans << ", lock repairs " << result.stats.repairs
        << ", survivors moved on after "
        << (result.victim.recovery ? std::to_string(result.victim.recovery->count()) : "?")
        << " ms";
  }
  return out.str();
}

int run(const Config& config, const Logger& log) {
  const SignalBlock signals;
  std::uint32_t repaired_rounds = 0;
  for (int round = 0; round < config.repeat; ++round) {
    Config this_round = config;
    this_round.workload.seed = config.workload.seed + static_cast<std::uint64_t>(round);
    const RoundResult result = run_round(this_round, signals);
    if (result.stop_signal != 0) {
      log.warning(result.failure);
      return 128 + result.stop_signal;
    }
    if (!result.failure.empty()) {
      log.error(mode_name(config.mode) + " seed " + std::to_string(this_round.workload.seed) +
                ": FAILED after " + std::to_string(result.elapsed_s) + " s: " + result.failure);
      return to_int(ExitCode::kFailure);
    }
    repaired_rounds += result.stats.repairs > 0 ? 1 : 0;
    std::cout << "shm_stress: round " << round + 1 << "/" << config.repeat
              << " ok: " << summarize(this_round, result) << std::endl;
  }
  if (config.mode != Mode::kDeliver) {
    std::cout << "shm_stress: the kill hit the critical section (lock repaired) in "
              << repaired_rounds << " of " << config.repeat << " rounds" << std::endl;
  }
  return to_int(ExitCode::kOk);
}

void add_options(CLI::App& app, Config& config) {
  app.add_option("--mode", config.mode, "deliver, kill-reader or kill-writer")
      ->transform(CLI::CheckedTransformer(kModes));
  app.add_option("--writers", config.workload.writers, "writer processes")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--readers", config.readers, "reader processes")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--records", config.workload.records, "records per round over all writers")
      ->check(CLI::Range(std::uint64_t{100}, std::uint64_t{1} << 32))
      ->capture_default_str();
  app.add_option("--max-length", config.workload.max_length,
                 "longest record (lengths uniform from 8)")
      ->check(CLI::Range(std::size_t{8}, kMaxShmRecordBytes))
      ->capture_default_str();
  app.add_option("--batch", config.workload.batch,
                 "records per send_batch / receive_batch (1: send and receive)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--capacity", config.capacity_bytes, "queue ring bytes")
      ->check(CLI::Range(std::size_t{8192}, std::size_t{1} << 30))
      ->capture_default_str();
  app.add_flag("--kill-inside-lock", config.is_kill_inside_lock,
               "kill modes: the victim SIGKILLs itself inside the queue's critical section");
  app.add_option("--seed", config.workload.seed, "seed of round 1; round k uses seed + k - 1")
      ->capture_default_str();
  app.add_option("--repeat", config.repeat, "rounds to run")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--timeout", config.timeout_s, "seconds a round may take before it fails")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

}  // namespace
}  // namespace dupipe::shm_stress

int main(int argc, char** argv) {
  using namespace dupipe;
  shm_stress::Config config;
  CLI::App app(
      "Stress writer and reader processes sharing one shared-memory queue; checks that "
      "every record arrives exactly once, intact, also when one of them is SIGKILLed.");
  shm_stress::add_options(app, config);
  app.footer(
      "\nExit codes: 0 every round passed, 1 a round failed (stderr says how), 2 bad usage,"
      " 128+N stopped by signal N.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : to_int(ExitCode::kUsage);
  }
  const Logger log("shm_stress", std::cerr);
  try {
    return shm_stress::run(config, log);
  } catch (const FatalError& e) {
    log.error(e.what());
    return to_int(ExitCode::kFailure);
  }
}
