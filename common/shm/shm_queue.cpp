#include "common/shm/shm_queue.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/interprocess/shared_memory_object.hpp>
#include <cstdio>
#include <cstring>
#include <new>
#include <random>
#include <thread>

#include "common/base/error.hpp"
#include "common/os/futex.hpp"
#include "common/os/process_liveness.hpp"
#include "common/os/signals.hpp"
#include "common/os/sys.hpp"
#include "common/shm/shm_layout.hpp"
#include "common/shm/shm_queue_ops.hpp"
#include "common/shm/shm_segment.hpp"

namespace dupipe {
namespace {

using namespace shm;
using Clock = std::chrono::steady_clock;
namespace bip = boost::interprocess;

// A futex wait cannot also poll the stop descriptor (common/os/signals.hpp), and the signal handler
// cannot know which shared word a thread sleeps on to wake it. A stop signal delivered to the
// sleeping thread ends its wait with EINTR; one that lands just before the futex call, or is
// taken by another thread (the fetcher reads its input on a thread of its own), is seen when the
// slice ends. So a sleeper looks at the stop flag this often: a stop is noticed within 20 ms, for
// about 50 wake-ups a second of an idle sleeper (a few microseconds each).
constexpr auto kStopCheckSlice = std::chrono::milliseconds(20);
// ...and at the liveness of its peers this often (that costs a lock and reading /proc).
constexpr auto kPeerCheckInterval = std::chrono::milliseconds(200);
// open() waits this long for a creator that has not finished initialising the segment.
constexpr auto kInitWait = std::chrono::seconds(1);

std::chrono::nanoseconds next_slice(std::optional<Clock::time_point> deadline) {
  if (!deadline) return kStopCheckSlice;
  return std::min<std::chrono::nanoseconds>(kStopCheckSlice, *deadline - Clock::now());
}

// True once per kPeerCheckInterval of sleeping: when a sleeper should look at its peers.
class PeerCheckTimer {
 public:
  [[nodiscard]] bool is_due() {
    const auto now = Clock::now();
    if (now < next_) return false;
    next_ = now + kPeerCheckInterval;
    return true;
  }

 private:
  Clock::time_point next_ = Clock::now() + kPeerCheckInterval;
};

bool may_sleep(std::optional<Clock::time_point> deadline) {
  return !deadline || Clock::now() < *deadline;
}

// How long a process that found the queue empty (or full) watches it before announcing that it
// sleeps: while the peer is awake on another CPU, the next record usually comes within a
// microsecond, and neither side then pays for a futex system call. About the cost of a futex
// wait and wake, so a spin that fails loses at most as much again. No spinning on one CPU.
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(5);

void spin_until_change(const std::atomic<std::uint32_t>& word, std::uint32_t seen) {
  static const bool kHasOtherCpus = std::thread::hardware_concurrency() > 1;
  if (!kHasOtherCpus) return;
  const auto until = Clock::now() + kSpinBeforeSleep;
  while (load(word) == seen) {
    for (int i = 0; i < 32; ++i) cpu_relax();
    if (Clock::now() >= until) return;
  }
}

void check_record_size(const ShmQueue& queue, std::string_view record) {
  if (record.size() > kMaxShmRecordBytes) {
    throw FatalError("shm segment " + queue.name() + ": record of " +
                     std::to_string(record.size()) + " bytes exceeds the maximum of " +
                     std::to_string(kMaxShmRecordBytes) + " bytes");
  }
}

// The bytes of a held cell. The length is checked: the slot is memory other processes write.
template <typename Context>
std::string_view held_record(const ReaderSlot& slot, std::uint32_t cell, const Context& context) {
  const std::uint32_t length = load(slot.cells[cell].length);
  if (length > kMaxShmRecordBytes)
    throw FatalError(context("corrupt held record in a reader slot"));
  return {slot.held_bytes[cell], length};
}

}  // namespace

// ----- ShmQueue ----------------------------------------------------------------------------

// Only for a header that was just initialised or validated (header_problem).
ShmQueue::ShmQueue(std::string name, bip::mapped_region region)
    : name_(std::move(name)),
      region_(std::move(region)),
      header_(static_cast<SegmentHeader*>(region_.get_address())),
      capacity_bytes_(header_->capacity_bytes),
      writer_slots_(header_->writer_slots),
      reader_slots_(header_->reader_slots) {
  const Layout layout = compute_layout(capacity_bytes_, writer_slots_, reader_slots_);
  char* base = static_cast<char*>(region_.get_address());
  writer_slots_base_ = base + layout.writer_slots_offset;
  reader_slots_base_ = base + layout.reader_slots_offset;
  ring_ = base + layout.ring_offset;
}

WriterSlot& ShmQueue::writer_slot(std::uint32_t index) const {
  return *std::launder(
      reinterpret_cast<WriterSlot*>(writer_slots_base_ + index * sizeof(WriterSlot)));
}

ReaderSlot& ShmQueue::reader_slot(std::uint32_t index) const {
  return *std::launder(
      reinterpret_cast<ReaderSlot*>(reader_slots_base_ + index * sizeof(ReaderSlot)));
}

std::string ShmQueue::context(std::string_view what) const {
  return "shm segment " + name_ + ": " + std::string(what);
}

ShmQueue ShmQueue::create(const std::string& name, const ShmQueueOptions& options) {
  check_name(name);
  check_options(name, options);
  const std::uint64_t capacity = round_up(options.capacity_bytes, kCacheLine);
  const Layout layout = compute_layout(capacity, options.expected_writers, options.reader_slots);
  bip::shared_memory_object shm;
  try {
    shm = bip::shared_memory_object(bip::create_only, name.c_str(), bip::read_write,
                                    bip::permissions(0600));
  } catch (const bip::interprocess_exception& e) {
    throw FatalError("shm segment " + name + ": create: " + describe(e));
  }
  try {  // the name is ours from here on: unlink it if the segment cannot be made ready
    shm.truncate(static_cast<bip::offset_t>(layout.total_bytes));
    bip::mapped_region region(shm, bip::read_write, 0, layout.total_bytes);
    initialize(region.get_address(), options, capacity, layout, name);
    return ShmQueue(name, std::move(region));
  } catch (const bip::interprocess_exception& e) {
    (void)remove(name);
    throw FatalError("shm segment " + name + ": set up: " + describe(e));
  } catch (const FatalError&) {
    (void)remove(name);
    throw;
  }
}

ShmQueue ShmQueue::open(const std::string& name) { return value_or_fatal(try_open(name)); }

Expected<ShmQueue> ShmQueue::try_open(const std::string& name) {
  if (auto valid = valid_name(name); !valid) return tl::unexpected(valid.error());
  try {
    const bip::shared_memory_object shm(bip::open_only, name.c_str(), bip::read_write);
    const auto deadline = Clock::now() + kInitWait;
    while (looks_uninitialised(shm) && Clock::now() < deadline) {
      sys::sleep_unless_stopped(std::chrono::milliseconds(10));  // bounded: see kInitWait
    }
    const std::uint64_t size = segment_size(shm);
    if (size < sizeof(SegmentHeader)) {
      return fail("shm segment " + name + ": not a dupipe queue (" + std::to_string(size) +
                  " bytes, smaller than the queue header)");
    }
    bip::mapped_region region(shm, bip::read_write, 0, size);
    const std::string problem =
        header_problem(*static_cast<const SegmentHeader*>(region.get_address()), size);
    if (!problem.empty()) return fail("shm segment " + name + ": " + problem);
    return ShmQueue(name, std::move(region));
  } catch (const bip::interprocess_exception& e) {  // Boost's exception, made a value here
    return fail("shm segment " + name + ": open: " + describe(e), e.get_native_error());
  }
}

void ShmQueue::release() {
  {
    const ShmQueueLock lock(*this);
    store(header().held_open, 0u);
    bump(header().producer.data_seq);
  }
  futex_wake(header().producer.data_seq, INT_MAX);  // readers may now see end of stream
}

bool ShmQueue::is_held_open() const { return load(header().held_open) != 0; }

bool ShmQueue::remove(const std::string& name) {
  return bip::shared_memory_object::remove(name.c_str());
}

ShmQueueStats ShmQueue::stats() const {
  const SegmentHeader& h = header();
  ShmQueueStats stats;
  stats.capacity_bytes = capacity_bytes_;
  stats.records_taken = load(h.consumer.records_taken);  // the consumer side first: then the
  const std::uint64_t head = load(h.consumer.head);      // producer values read later are >=
  stats.records_sent = load(h.producer.records_written);
  stats.bytes_used = load(h.producer.tail) - head;
  stats.records_queued =
      stats.records_sent > stats.records_taken ? stats.records_sent - stats.records_taken : 0;
  stats.writers_expected = writer_slots_;
  for (std::uint32_t i = 0; i < writer_slots_; ++i) {
    const auto state = static_cast<SlotState>(load(writer_slot(i).state));
    const bool is_live = state == SlotState::kAttached && is_alive(identity_of(writer_slot(i)));
    stats.writers_attached += is_live ? 1 : 0;
    stats.writers_finished += state == SlotState::kFinished ? 1 : 0;
    stats.writers_dead += state == SlotState::kDead || (state == SlotState::kAttached && !is_live);
  }
  for (std::uint32_t i = 0; i < reader_slots_; ++i) {
    const auto state = static_cast<SlotState>(load(reader_slot(i).state));
    const bool is_live = state == SlotState::kAttached && is_alive(identity_of(reader_slot(i)));
    stats.readers_attached += is_live ? 1 : 0;
    stats.readers_closed += state == SlotState::kFinished ? 1 : 0;
    stats.readers_dead += state == SlotState::kDead || (state == SlotState::kAttached && !is_live);
  }
  stats.repairs = h.repairs.load(std::memory_order_relaxed);
  return stats;
}

ProcessIdentity ShmQueue::owner() const {
  return {static_cast<pid_t>(header_->owner_pid), header_->owner_start_ticks};
}

std::vector<OrphanedRecord> ShmQueue::orphaned_records() {
  (void)ShmQueueOps::reap_dead_peers(*this);
  std::vector<OrphanedRecord> orphans;
  const ShmQueueLock lock(*this);
  for (std::uint32_t i = 0; i < reader_slots_; ++i) {
    const ReaderSlot& slot = reader_slot(i);
    const auto state = load(slot.state);
    if (state == raw(SlotState::kAttached)) continue;
    for (std::uint32_t cell = 0; cell < kHeldRecordsPerReader; ++cell) {
      if (load(slot.cells[cell].state) != raw(HeldState::kHeld)) continue;
      const auto record =
          held_record(slot, cell, [&](std::string_view what) { return context(what); });
      orphans.push_back(OrphanedRecord{RingPosition{load(slot.cells[cell].id)},
                                       static_cast<pid_t>(load(slot.pid)),
                                       state == raw(SlotState::kDead), std::string(record)});
    }
  }
  // Cells are reused in any order: list each reader's records in queue order.
  std::stable_sort(orphans.begin(), orphans.end(), [](const auto& a, const auto& b) {
    return a.reader_pid != b.reader_pid ? a.reader_pid < b.reader_pid : a.id < b.id;
  });
  return orphans;
}

// ----- Writer ------------------------------------------------------------------------------

ShmQueueWriter::ShmQueueWriter(ShmQueue queue)
    : queue_(std::move(queue)), slot_(ShmQueueOps::attach_writer(queue_)) {}

ShmQueueWriter::~ShmQueueWriter() {
  try {
    close();
  } catch (const FatalError&) {
    // Only an unrecoverable (corrupt) queue fails here; the readers see that error themselves.
  }
}

void ShmQueueWriter::send(std::string_view record) {
  (void)send_until(std::span(&record, 1), std::nullopt);
}

void ShmQueueWriter::send_batch(std::span<const std::string_view> records) {
  (void)send_until(records, std::nullopt);
}

bool ShmQueueWriter::send_for(std::string_view record, std::chrono::milliseconds timeout) {
  return send_until(std::span(&record, 1), Clock::now() + timeout) == 1;
}

std::size_t ShmQueueWriter::send_until(std::span<const std::string_view> records,
                                       std::optional<Clock::time_point> deadline) {
  for (const std::string_view record : records) check_record_size(queue_, record);
  if (is_closed_) throw FatalError(queue_.context("send after the writer was closed"));
  std::size_t sent = 0;
  bool has_spun = false;
  PeerCheckTimer peer_check;
  while (sent < records.size()) {
    const bool announces_sleep = has_spun && may_sleep(deadline);
    const std::uint32_t seen = load(queue_.header().consumer.space_seq);
    const auto attempt =
        ShmQueueOps::try_send(queue_, slot_, records.subspan(sent), announces_sleep);
    sent += attempt.sent;
    if (attempt.sent > 0) {
      has_spun = false;
      continue;
    }
    if (!has_spun) {
      has_spun = true;
      spin_until_change(queue_.header().consumer.space_seq, seen);
      continue;
    }
    if (!announces_sleep) return sent;
    has_spun = false;
    throw_if_stopped();  // a stop that came before this wait: no EINTR will end it
    const bool is_slice_over =
        wait_for_change(queue_.header().consumer.space_seq, attempt.seen, next_slice(deadline));
    throw_if_stopped();
    if (is_slice_over && peer_check.is_due() && ShmQueueOps::has_lost_all_readers(queue_)) {
      throw FatalError(queue_.context("queue full and every reader has gone"));
    }
  }
  return sent;
}

void ShmQueueWriter::close() {
  if (is_closed_) return;
  is_closed_ = true;
  ShmQueueOps::close_writer(queue_, slot_);
}

// ----- Reader ------------------------------------------------------------------------------

ShmQueueReader::ShmQueueReader(ShmQueue queue)
    : queue_(std::move(queue)), slot_(ShmQueueOps::attach_reader(queue_)) {}

ShmQueueReader::~ShmQueueReader() {
  try {
    ShmQueueOps::close_reader(queue_, slot_);
  } catch (const FatalError&) {
    // Only an unrecoverable (corrupt) queue fails here; there is nothing left to detach from.
  }
}

Received ShmQueueReader::take_until(std::optional<Clock::time_point> deadline) {
  if (held_count() >= kHeldRecordsPerReader) {
    throw FatalError(queue_.context("a reader may hold at most " +
                                    std::to_string(kHeldRecordsPerReader) +
                                    " unacknowledged records"));
  }
  const ReceiveStatus status = receive_until(deadline, 1);
  if (status != ReceiveStatus::kRecord) return {status, {}, {}};
  return {status, std::string(batch_.front()), batch_ids_.front()};
}

// No lock: only this reader changes its cells, and repair never touches a kHeld one. The state
// is read before the id (it was stored last), so a cell being filled is never mistaken for it.
void ShmQueueReader::acknowledge(RingPosition id) {
  ReaderSlot& slot = queue_.reader_slot(slot_);
  for (HeldCell& cell : slot.cells) {
    if (load(cell.state) == raw(HeldState::kHeld) && load(cell.id) == id.value) {
      store(cell.state, raw(HeldState::kNone));
      return;
    }
  }
  throw FatalError(queue_.context("acknowledge of record " + std::to_string(id.value) +
                                  ", which this reader does not hold"));
}

std::uint32_t ShmQueueReader::held_count() const {
  std::uint32_t count = 0;
  for (const HeldCell& cell : queue_.reader_slot(slot_).cells) {
    count += load(cell.state) != raw(HeldState::kNone) ? 1 : 0;
  }
  return count;
}

std::optional<std::string> ShmQueueReader::receive() {
  acknowledge();
  if (receive_until(std::nullopt, 1) != ReceiveStatus::kRecord) return std::nullopt;
  return std::string(batch_.front());
}

Received ShmQueueReader::receive_for(std::chrono::milliseconds timeout) {
  acknowledge();
  if (const auto status = receive_until(Clock::now() + timeout, 1);
      status != ReceiveStatus::kRecord) {
    return {status, {}, {}};
  }
  return {ReceiveStatus::kRecord, std::string(batch_.front()), batch_ids_.front()};
}

std::span<const std::string_view> ShmQueueReader::receive_batch(std::uint32_t max_records) {
  if (max_records == 0) throw FatalError(queue_.context("receive_batch of 0 records"));
  acknowledge();
  (void)receive_until(std::nullopt, max_records);
  return batch_;
}

ReceiveStatus ShmQueueReader::receive_until(std::optional<Clock::time_point> deadline,
                                            std::uint32_t max_records) {
  batch_.clear();
  batch_ids_.clear();
  bool has_spun = false;
  PeerCheckTimer peer_check;
  while (true) {
    const bool announces_sleep = has_spun && may_sleep(deadline);
    const std::uint32_t seen = load(queue_.header().producer.data_seq);
    const auto attempt = ShmQueueOps::try_take(queue_, slot_, max_records, announces_sleep);
    if (attempt.status == ReceiveStatus::kRecord) {
      index_held_batch(std::span(attempt.cells).first(attempt.count));
      return attempt.status;
    }
    if (attempt.status == ReceiveStatus::kEndOfStream) return attempt.status;
    if (!has_spun) {
      has_spun = true;
      spin_until_change(queue_.header().producer.data_seq, seen);
      continue;
    }
    if (!announces_sleep) return attempt.status;
    has_spun = false;
    throw_if_stopped();  // a stop that came before this wait: no EINTR will end it
    const bool is_slice_over =
        wait_for_change(queue_.header().producer.data_seq, attempt.seen, next_slice(deadline));
    throw_if_stopped();
    if (is_slice_over && peer_check.is_due()) (void)ShmQueueOps::reap_dead_peers(queue_);
  }
}

// Only this reader writes its slot, so the held cells can be read after the lock is released;
// the records were checked in the ring, and the lengths are checked again here.
void ShmQueueReader::index_held_batch(std::span<const std::uint32_t> cells) {
  const ReaderSlot& slot = queue_.reader_slot(slot_);
  for (const std::uint32_t cell : cells) {
    batch_.push_back(
        held_record(slot, cell, [&](std::string_view what) { return queue_.context(what); }));
    batch_ids_.push_back(RingPosition{load(slot.cells[cell].id)});
  }
}

// Needs no lock: only this reader changes its own held records, and repair never touches kHeld.
void ShmQueueReader::acknowledge() {
  batch_.clear();
  batch_ids_.clear();
  for (HeldCell& cell : queue_.reader_slot(slot_).cells) {
    if (load(cell.state) == raw(HeldState::kHeld)) store(cell.state, raw(HeldState::kNone));
  }
}

// ----- Names -------------------------------------------------------------------------------

std::string make_shm_name(std::string_view tag) {
  std::random_device random;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return "dupipe-" + std::string(tag) + "-" + std::to_string(::getpid()) + "-" + suffix;
}

}  // namespace dupipe
