// A bounded multi-producer/multi-consumer queue of byte records (protocol lines without newline)
// in a POSIX shared-memory segment that separate processes use at once. The segment is a declared
// format (see shm_layout.hpp): offsets only, a robust process-shared mutex guards a byte ring, and
// futex words let blocked writers and readers sleep. kill -9 of any attached process at any
// instant leaves the queue usable by the others (see "Repair" in shm_queue_repair.cpp).
// Each object maps the segment once and belongs to one thread; other threads and processes open
// their own. Do not keep using an attached writer or reader in a forked child.
#pragma once

#include <sys/types.h>

#include <boost/interprocess/mapped_region.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/error.hpp"
#include "common/os/process_liveness.hpp"
#include "common/protocol/record_codec.hpp"

namespace dupipe {

namespace shm {
struct SegmentHeader;
struct WriterSlot;
struct ReaderSlot;
}  // namespace shm

// The largest record the queue carries: every protocol line (without its newline) fits.
inline constexpr std::size_t kMaxShmRecordBytes = kMaxRecordBytes;
inline constexpr std::uint32_t kDefaultShmReaderSlots = 64;
// Records one reader may hold unacknowledged at once (each in a cell of its slot; see
// ShmQueueReader::take_until). A reader never takes more: take_until refuses with FatalError.
inline constexpr std::uint32_t kHeldRecordsPerReader = 16;

// Where a record starts in the ring: a byte position in the stream of everything ever queued in
// one segment (it only grows; the offset in the ring is the position modulo the capacity), so it
// names one record uniquely per segment. Not the protocol's record id
// (common/protocol/record_id.hpp).
struct RingPosition {
  std::uint64_t value = 0;
  friend auto operator<=>(const RingPosition&, const RingPosition&) = default;
};

struct ShmQueueOptions {
  // Ring bytes (rounded up to 64); a record takes 8 bytes plus its length rounded up to 8.
  std::size_t capacity_bytes = 1 << 20;
  std::uint32_t expected_writers = 1;  // end of stream once this many writers finished or died
  std::uint32_t reader_slots = kDefaultShmReaderSlots;
  // Whose death makes the segment stale (see `dupipe-shm cleanup`); unset: the creating process.
  std::optional<ProcessIdentity> owner;
  // Held open for a supervisor that restarts dead stages: see release().
  bool held_open = false;
};

// A snapshot taken without the lock: each number is exact, together they may be a moment apart.
struct ShmQueueStats {
  std::uint64_t records_queued = 0;
  std::uint64_t bytes_used = 0;  // of the ring, record headers and padding included
  std::uint64_t capacity_bytes = 0;
  std::uint64_t records_sent = 0;   // committed since creation
  std::uint64_t records_taken = 0;  // taken by readers since creation
  std::uint32_t writers_expected = 0;
  std::uint32_t writers_attached = 0;  // attached, alive, not finished
  std::uint32_t writers_finished = 0;
  std::uint32_t writers_dead = 0;
  std::uint32_t readers_attached = 0;  // attached and alive
  std::uint32_t readers_closed = 0;
  std::uint32_t readers_dead = 0;
  std::uint32_t repairs = 0;  // times a process died holding the lock and the queue was repaired
};

// A record a reader took but never acknowledged before it died or detached.
struct OrphanedRecord {
  RingPosition id;
  pid_t reader_pid = 0;
  bool is_reader_dead = false;  // false: the reader detached without acknowledging
  std::string bytes;
};

// Points inside the critical section where a test can make the process die (see the repair tests).
enum class ShmFaultPoint { kWriterBeforeCommit, kReaderBeforeCommit, kReaderAfterCommit };

// One mapping of a queue segment. Owns the mapping, not the name (see ShmNameRemover).
class ShmQueue {
 public:
  // Creates the segment exclusively (mode 0600); fails with FatalError if the name exists.
  [[nodiscard]] static ShmQueue create(const std::string& name, const ShmQueueOptions& options);
  // Maps an existing segment; FatalError unless it is a dupipe queue of this version and size.
  [[nodiscard]] static ShmQueue open(const std::string& name);
  // The same for an observer (top, shmctl), to whom a missing or foreign segment is a value:
  // the Error names the segment and keeps the errno (ENOENT: the run ended).
  [[nodiscard]] static Expected<ShmQueue> try_open(const std::string& name);
  // Unlinks the name (mappings stay valid); false if there was no such segment.
  static bool remove(const std::string& name);

  ShmQueue(ShmQueue&&) noexcept = default;
  ShmQueue& operator=(ShmQueue&&) noexcept = default;
  ~ShmQueue() = default;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] ShmQueueStats stats() const;
  [[nodiscard]] ProcessIdentity owner() const;
  // Records held by readers that died or detached without acknowledging; marks dead peers.
  [[nodiscard]] std::vector<OrphanedRecord> orphaned_records();
  // Ends the hold of a queue created held_open (the hold also ends when the owner dies): once its
  // writers are finished or dead, readers see end of stream. Until then a dead writer's slot is
  // taken over by the next writer to attach, and writers facing a full queue with no reader wait
  // for one instead of failing.
  void release();
  [[nodiscard]] bool is_held_open() const;
  void set_fault_hook_for_testing(std::function<void(ShmFaultPoint)> hook) {
    fault_hook_ = std::move(hook);
  }

 private:
  friend class ShmQueueWriter;
  friend class ShmQueueReader;
  friend class ShmQueueLock;
  friend class ShmQueueOps;

  ShmQueue(std::string name, boost::interprocess::mapped_region region);

  [[nodiscard]] shm::SegmentHeader& header() const { return *header_; }
  [[nodiscard]] shm::WriterSlot& writer_slot(std::uint32_t index) const;
  [[nodiscard]] shm::ReaderSlot& reader_slot(std::uint32_t index) const;
  void fault_point(ShmFaultPoint point) const {
    if (fault_hook_) fault_hook_(point);
  }
  [[nodiscard]] std::string context(std::string_view what) const;

  std::string name_;
  boost::interprocess::mapped_region region_;
  shm::SegmentHeader* header_ = nullptr;
  // Bounds copied once from the validated header: never re-read from memory others can write.
  std::uint64_t capacity_bytes_ = 0;
  std::uint32_t writer_slots_ = 0;
  std::uint32_t reader_slots_ = 0;
  char* writer_slots_base_ = nullptr;
  char* reader_slots_base_ = nullptr;
  char* ring_ = nullptr;
  std::function<void(ShmFaultPoint)> fault_hook_;
};

enum class ReceiveStatus { kRecord, kEndOfStream, kTimedOut };

struct Received {
  ReceiveStatus status = ReceiveStatus::kTimedOut;
  std::string record;
  RingPosition id;  // set by take_until: what to acknowledge
};

// One writer of a queue: attaches to a free writer slot (FatalError once all expected writers have
// attached) and marks it finished on close() or destruction.
class ShmQueueWriter {
 public:
  explicit ShmQueueWriter(ShmQueue queue);
  ShmQueueWriter(const ShmQueueWriter&) = delete;
  ShmQueueWriter& operator=(const ShmQueueWriter&) = delete;
  ~ShmQueueWriter();

  // Blocks until there is room. FatalError if the record is too long or every reader has gone;
  // Interrupted if a stop signal arrives while waiting.
  void send(std::string_view record);
  // Sends every record, in order, as many per lock and commit as fit: for bulk producers.
  void send_batch(std::span<const std::string_view> records);
  // Like send, but gives up after `timeout` (0: never waits); false if the record was not queued.
  [[nodiscard]] bool send_for(std::string_view record, std::chrono::milliseconds timeout);
  void close();

  [[nodiscard]] ShmQueue& queue() { return queue_; }

 private:
  // Returns how many records of the front of `records` were queued before the deadline.
  [[nodiscard]] std::size_t send_until(
      std::span<const std::string_view> records,
      std::optional<std::chrono::steady_clock::time_point> deadline);

  ShmQueue queue_;
  std::uint32_t slot_ = 0;
  bool is_closed_ = false;
};

// One reader of a queue. A taken record stays "in flight" in a held cell of the reader's slot
// (listed by orphaned_records() if this process dies or detaches) until it is acknowledged. Two
// ways to use it, not to be mixed: take_until / acknowledge(id) keep up to kHeldRecordsPerReader
// records in flight, each acknowledged on its own (the shm: endpoint); receive, receive_for and
// receive_batch acknowledge everything held first, so one take is in flight (bulk consumers).
// acknowledge(id) may run on another thread than take_until (the fetcher's main thread and
// input thread); nothing else may run concurrently.
class ShmQueueReader {
 public:
  explicit ShmQueueReader(ShmQueue queue);
  ShmQueueReader(const ShmQueueReader&) = delete;
  ShmQueueReader& operator=(const ShmQueueReader&) = delete;
  ~ShmQueueReader();

  // The next record and its id, kEndOfStream once every expected writer finished or died and the
  // queue is drained, or kTimedOut at the deadline (none: no deadline). Earlier records stay
  // held. FatalError if kHeldRecordsPerReader records are held; Interrupted on a stop signal.
  [[nodiscard]] Received take_until(std::optional<std::chrono::steady_clock::time_point> deadline);
  // Releases one held record; FatalError if this reader holds no record with that id.
  void acknowledge(RingPosition id);
  // Records held now.
  [[nodiscard]] std::uint32_t held_count() const;

  // The next record, or nullopt once every expected writer finished or died and the queue is
  // drained. Acknowledges everything held first. Interrupted if a stop signal arrives.
  [[nodiscard]] std::optional<std::string> receive();
  [[nodiscard]] Received receive_for(std::chrono::milliseconds timeout);
  // Takes up to `max_records` consecutive records at once (at most kHeldRecordsPerReader; at
  // least one), or none at end of stream. The views stay valid until the next receive or
  // acknowledge. One reader taking batches leaves less for the others: for a sole or bulk
  // consumer.
  [[nodiscard]] std::span<const std::string_view> receive_batch(std::uint32_t max_records);
  // Releases every held record.
  void acknowledge();

  [[nodiscard]] ShmQueue& queue() { return queue_; }

 private:
  [[nodiscard]] ReceiveStatus receive_until(
      std::optional<std::chrono::steady_clock::time_point> deadline, std::uint32_t max_records);
  void index_held_batch(std::span<const std::uint32_t> cells);

  ShmQueue queue_;
  std::uint32_t slot_ = 0;
  std::vector<std::string_view> batch_;  // views into this reader's held cells
  std::vector<RingPosition> batch_ids_;  // their ids, for take_until
};

// Unlinks a segment name when it goes out of scope. Construct it right after a successful
// ShmQueue::create, never before (it would remove someone else's segment if create failed).
class ShmNameRemover {
 public:
  explicit ShmNameRemover(std::string name) : name_(std::move(name)) {}
  ShmNameRemover(const ShmNameRemover&) = delete;
  ShmNameRemover& operator=(const ShmNameRemover&) = delete;
  ~ShmNameRemover() { (void)ShmQueue::remove(name_); }

 private:
  std::string name_;
};

// "dupipe-<tag>-<pid>-<8 random hex digits>": a fresh segment name for one run.
[[nodiscard]] std::string make_shm_name(std::string_view tag);

}  // namespace dupipe
