#include "common/shm_queue.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/interprocess/shared_memory_object.hpp>
#include <cstdio>
#include <new>
#include <random>
#include <thread>

#include "common/error.hpp"
#include "common/futex.hpp"
#include "common/process_liveness.hpp"
#include "common/shm_layout.hpp"
#include "common/shm_queue_ops.hpp"
#include "common/shm_segment.hpp"
#include "common/signals.hpp"

namespace dupipe {
namespace {

using namespace shm;
using Clock = std::chrono::steady_clock;
namespace bip = boost::interprocess;

// A sleeper rechecks the stop flag and the liveness of its peers this often.
constexpr auto kWaitSlice = std::chrono::milliseconds(200);
// open() waits this long for a creator that has not finished initialising the segment.
constexpr auto kInitWait = std::chrono::seconds(1);

std::chrono::nanoseconds next_slice(std::optional<Clock::time_point> deadline) {
  if (!deadline) return kWaitSlice;
  return std::min<std::chrono::nanoseconds>(kWaitSlice, *deadline - Clock::now());
}

bool may_sleep(std::optional<Clock::time_point> deadline) {
  return !deadline || Clock::now() < *deadline;
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

ShmQueue ShmQueue::open(const std::string& name) {
  check_name(name);
  try {
    const bip::shared_memory_object shm(bip::open_only, name.c_str(), bip::read_write);
    const auto deadline = Clock::now() + kInitWait;
    while (looks_uninitialised(shm) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // bounded: see kInitWait
    }
    const std::uint64_t size = segment_size(shm);
    if (size < sizeof(SegmentHeader)) {
      throw FatalError("shm segment " + name + ": not a dupipe queue (" + std::to_string(size) +
                       " bytes, smaller than the queue header)");
    }
    bip::mapped_region region(shm, bip::read_write, 0, size);
    const std::string problem =
        header_problem(*static_cast<const SegmentHeader*>(region.get_address()), size);
    if (!problem.empty()) throw FatalError("shm segment " + name + ": " + problem);
    return ShmQueue(name, std::move(region));
  } catch (const bip::interprocess_exception& e) {
    throw FatalError("shm segment " + name + ": open: " + describe(e));
  }
}

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
    if (state == raw(SlotState::kAttached) || load(slot.held_state) != raw(HeldState::kHeld)) {
      continue;
    }
    const std::uint32_t length = load(slot.held_length);
    if (length > kMaxShmRecordBytes) throw FatalError(context("corrupt reader slot"));
    orphans.push_back(
        OrphanedRecord{RecordId{load(slot.held_id)}, static_cast<pid_t>(load(slot.pid)),
                       state == raw(SlotState::kDead), std::string(slot.held_bytes, length)});
  }
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

void ShmQueueWriter::send(std::string_view record) { (void)send_until(record, std::nullopt); }

bool ShmQueueWriter::send_for(std::string_view record, std::chrono::milliseconds timeout) {
  return send_until(record, Clock::now() + timeout);
}

bool ShmQueueWriter::send_until(std::string_view record,
                                std::optional<Clock::time_point> deadline) {
  if (record.size() > kMaxShmRecordBytes) {
    throw FatalError(queue_.context("record of " + std::to_string(record.size()) +
                                    " bytes exceeds the maximum of " +
                                    std::to_string(kMaxShmRecordBytes) + " bytes"));
  }
  if (is_closed_) throw FatalError(queue_.context("send after the writer was closed"));
  while (true) {
    const bool is_allowed_to_sleep = may_sleep(deadline);
    const auto attempt = ShmQueueOps::try_send(queue_, slot_, record, is_allowed_to_sleep);
    if (attempt.is_sent) return true;
    if (!is_allowed_to_sleep) return false;
    const bool is_slice_over =
        wait_for_change(queue_.header().consumer.space_seq, attempt.seen, next_slice(deadline));
    throw_if_stopped();
    if (is_slice_over && ShmQueueOps::has_lost_all_readers(queue_)) {
      throw FatalError(queue_.context("queue full and every reader has gone"));
    }
  }
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

std::optional<std::string> ShmQueueReader::receive() {
  Received received = receive_until(std::nullopt);
  if (received.status != ReceiveStatus::kRecord) return std::nullopt;
  return std::move(received.record);
}

Received ShmQueueReader::receive_for(std::chrono::milliseconds timeout) {
  return receive_until(Clock::now() + timeout);
}

Received ShmQueueReader::receive_until(std::optional<Clock::time_point> deadline) {
  acknowledge();
  while (true) {
    const bool is_allowed_to_sleep = may_sleep(deadline);
    const auto attempt = ShmQueueOps::try_take(queue_, slot_, is_allowed_to_sleep);
    if (attempt.status == ReceiveStatus::kRecord) {
      // Only this reader writes its slot, so the copy can be made after the lock is released.
      return {ReceiveStatus::kRecord,
              std::string(queue_.reader_slot(slot_).held_bytes, attempt.length)};
    }
    if (attempt.status == ReceiveStatus::kEndOfStream || !is_allowed_to_sleep) {
      return {attempt.status, {}};
    }
    const bool is_slice_over =
        wait_for_change(queue_.header().producer.data_seq, attempt.seen, next_slice(deadline));
    throw_if_stopped();
    if (is_slice_over) (void)ShmQueueOps::reap_dead_peers(queue_);
  }
}

// Needs no lock: only this reader changes its own held record, and repair never touches kHeld.
void ShmQueueReader::acknowledge() {
  store(queue_.reader_slot(slot_).held_state, raw(HeldState::kNone));
}

// ----- Names -------------------------------------------------------------------------------

std::string make_shm_name(std::string_view tag) {
  std::random_device random;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return "dupipe-" + std::string(tag) + "-" + std::to_string(::getpid()) + "-" + suffix;
}

}  // namespace dupipe
