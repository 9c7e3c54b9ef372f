#include "common/shm/shm_queue_ops.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/base/error.hpp"
#include "common/os/futex.hpp"

namespace dupipe {

using namespace shm;

namespace {

template <typename Slot>
void claim_slot(Slot& slot, const ProcessIdentity& self) {
  store(slot.pid, static_cast<std::int32_t>(self.pid));
  store(slot.start_ticks, self.start_ticks);
  store(slot.is_sleeping, 0u);
  store(slot.state, raw(SlotState::kAttached));  // last: a half-claimed slot is still free
}

}  // namespace

void ShmQueueOps::ring_copy_in(const ShmQueue& queue, std::uint64_t position, const void* source,
                               std::size_t size) {
  const std::uint64_t capacity = queue.capacity_bytes_;
  const std::size_t offset = position % capacity;
  const std::size_t first = std::min<std::size_t>(size, capacity - offset);
  std::memcpy(queue.ring_ + offset, source, first);
  std::memcpy(queue.ring_, static_cast<const char*>(source) + first, size - first);
}

void ShmQueueOps::ring_copy_out(const ShmQueue& queue, std::uint64_t position, void* target,
                                std::size_t size) {
  const std::uint64_t capacity = queue.capacity_bytes_;
  const std::size_t offset = position % capacity;
  const std::size_t first = std::min<std::size_t>(size, capacity - offset);
  std::memcpy(target, queue.ring_ + offset, first);
  std::memcpy(static_cast<char*>(target) + first, queue.ring_, size - first);
}

RecordHeader ShmQueueOps::checked_header(const ShmQueue& queue, std::uint64_t position,
                                         std::uint64_t tail) {
  RecordHeader record{};
  if (tail - position >= sizeof record) ring_copy_out(queue, position, &record, sizeof record);
  if (tail - position < sizeof record || record.check != ~record.length ||
      record.length > kMaxShmRecordBytes || entry_bytes(record.length) > tail - position) {
    throw FatalError(
        queue.context("corrupt record header at position " + std::to_string(position)));
  }
  return record;
}

void ShmQueueOps::set_sleeping(ShmQueue& queue, WriterSlot& slot, bool is_sleeping) {
  if ((load(slot.is_sleeping) != 0) == is_sleeping) return;
  store(slot.is_sleeping, is_sleeping ? 1u : 0u);
  auto& counter = queue.header().producer.writers_sleeping;
  store(counter, is_sleeping ? load(counter) + 1 : load(counter) - 1);
}

void ShmQueueOps::set_sleeping(ShmQueue& queue, ReaderSlot& slot, bool is_sleeping) {
  if ((load(slot.is_sleeping) != 0) == is_sleeping) return;
  store(slot.is_sleeping, is_sleeping ? 1u : 0u);
  auto& counter = queue.header().consumer.readers_sleeping;
  store(counter, is_sleeping ? load(counter) + 1 : load(counter) - 1);
}

// Held by a live owner only: a launcher killed before it could release the queue must not leave
// its stages waiting forever (the owner's liveness is read from /proc only in this rare case).
bool ShmQueueOps::is_held(const ShmQueue& queue) {
  return load(queue.header().held_open) != 0 && is_alive(queue.owner());
}

bool ShmQueueOps::are_writers_done(const ShmQueue& queue) {
  for (std::uint32_t i = 0; i < queue.writer_slots_; ++i) {
    const auto state = load(queue.writer_slot(i).state);
    if (state != raw(SlotState::kFinished) && state != raw(SlotState::kDead)) return false;
  }
  return !is_held(queue);
}

std::optional<std::uint32_t> ShmQueueOps::find_writer_slot(ShmQueue& queue,
                                                           const ProcessIdentity& self,
                                                           bool may_take_finished) {
  const ShmQueueLock lock(queue);
  for (std::uint32_t i = 0; i < queue.writer_slots_; ++i) {
    if (load(queue.writer_slot(i).state) == raw(SlotState::kFree)) {
      claim_slot(queue.writer_slot(i), self);
      return i;
    }
  }
  if (load(queue.header().held_open) == 0) return std::nullopt;
  for (std::uint32_t i = 0; i < queue.writer_slots_;
       ++i) {  // a restarted writer replaces a dead one
    WriterSlot& slot = queue.writer_slot(i);
    const auto state = load(slot.state);
    // A finished writer that has died since (killed between its close and its exit) is
    // restarted like any dead one; its replacement finds nothing more to send and closes again.
    const bool is_replaceable =
        state == raw(SlotState::kDead) ||
        (may_take_finished && state == raw(SlotState::kFinished) && !is_alive(identity_of(slot)));
    if (is_replaceable) {
      claim_slot(slot, self);
      return i;
    }
  }
  return std::nullopt;
}

std::uint32_t ShmQueueOps::attach_writer(ShmQueue& queue) {
  const ProcessIdentity self = self_identity();
  if (const auto slot = find_writer_slot(queue, self, false)) return *slot;
  if (reap_dead_peers(queue)) {
    if (const auto slot = find_writer_slot(queue, self, false)) return *slot;
  }
  // Last, and only then reading /proc under the lock: the slot of a finished writer now dead.
  if (const auto slot = find_writer_slot(queue, self, true)) return *slot;
  throw FatalError(queue.context("all " + std::to_string(queue.writer_slots_) +
                                 " expected writers have already attached"));
}

void ShmQueueOps::close_writer(ShmQueue& queue, std::uint32_t slot) {
  {
    const ShmQueueLock lock(queue);
    set_sleeping(queue, queue.writer_slot(slot), false);
    store(queue.writer_slot(slot).state, raw(SlotState::kFinished));
    bump(queue.header().producer.data_seq);
  }
  futex_wake(queue.header().producer.data_seq, INT_MAX);  // readers may now see end of stream
}

// Writes headers and bytes beyond the tail, then publishes them with one store of the tail: a
// writer killed before that store leaves bytes nobody will read and a queue as it was.
ShmQueueOps::SendAttempt ShmQueueOps::try_send(ShmQueue& queue, std::uint32_t slot,
                                               std::span<const std::string_view> records,
                                               bool may_sleep) {
  SegmentHeader& header = queue.header();
  SendAttempt attempt;
  bool should_wake = false;
  {
    const ShmQueueLock lock(queue);
    set_sleeping(queue, queue.writer_slot(slot), false);
    const std::uint64_t head = load(header.consumer.head);
    const std::uint64_t tail = load(header.producer.tail);
    std::uint64_t end = tail;
    for (const std::string_view record : records) {
      if (end - head + entry_bytes(record.size()) > queue.capacity_bytes_) break;
      const auto length = static_cast<std::uint32_t>(record.size());
      const RecordHeader record_header{length, ~length};
      ring_copy_in(queue, end, &record_header, sizeof record_header);
      ring_copy_in(queue, end + sizeof record_header, record.data(), record.size());
      end += entry_bytes(record.size());
      ++attempt.sent;
    }
    if (attempt.sent > 0) {
      queue.fault_point(ShmFaultPoint::kWriterBeforeCommit);
      store(header.producer.tail, end);  // the commit
      store(header.producer.records_written, load(header.producer.records_written) + attempt.sent);
      bump(header.producer.data_seq);
      should_wake = load(header.consumer.readers_sleeping) > 0;
    } else if (may_sleep) {
      set_sleeping(queue, queue.writer_slot(slot), true);
      attempt.seen = load(header.consumer.space_seq);
    }
  }
  if (should_wake) futex_wake(header.producer.data_seq, 1);
  return attempt;
}

std::optional<std::uint32_t> ShmQueueOps::find_reader_slot(ShmQueue& queue,
                                                           const ProcessIdentity& self) {
  const ShmQueueLock lock(queue);
  for (std::uint32_t i = 0; i < queue.reader_slots_; ++i) {
    ReaderSlot& slot = queue.reader_slot(i);
    const auto state = load(slot.state);
    const bool is_reusable = state == raw(SlotState::kFree) ||
                             (state != raw(SlotState::kAttached) && !holds_records(slot));
    if (is_reusable) {
      claim_slot(slot, self);
      return i;
    }
  }
  return std::nullopt;
}

std::uint32_t ShmQueueOps::attach_reader(ShmQueue& queue) {
  const ProcessIdentity self = self_identity();
  if (const auto slot = find_reader_slot(queue, self)) return *slot;
  if (reap_dead_peers(queue)) {
    if (const auto slot = find_reader_slot(queue, self)) return *slot;
  }
  throw FatalError(queue.context("all " + std::to_string(queue.reader_slots_) +
                                 " reader slots are in use or hold unacknowledged records"));
}

void ShmQueueOps::close_reader(ShmQueue& queue, std::uint32_t slot) {
  const ShmQueueLock lock(queue);
  set_sleeping(queue, queue.reader_slot(slot), false);
  store(queue.reader_slot(slot).state, raw(SlotState::kFinished));  // a held record stays listed
}

// The take is committed by the store of the head. Its cells say kTaking (with the ids they
// will hold) from before the copy until after that store, and the slot says how many records the
// take counts, so repair can tell which side a death fell on. The batch is as many consecutive
// records as there are free cells (at most `max_records`).
void ShmQueueOps::take_records(const ShmQueue& queue, ReaderSlot& slot, std::uint64_t head,
                               std::uint64_t tail, std::uint32_t max_records,
                               TakeAttempt& attempt) {
  SegmentHeader& header = queue.header();
  std::uint32_t count = 0;  // first the cells and the checked headers, then the slot is written
  std::array<std::uint32_t, kHeldRecordsPerReader> lengths{};
  for (std::uint64_t end = head, cell = 0;
       cell < kHeldRecordsPerReader && end != tail && count < max_records; ++cell) {
    if (load(slot.cells[cell].state) != raw(HeldState::kNone)) continue;
    lengths[count] = checked_header(queue, end, tail).length;
    end += entry_bytes(lengths[count]);
    attempt.cells[count++] = static_cast<std::uint32_t>(cell);
  }
  if (count == 0) return;
  const std::uint64_t taken = load(header.consumer.records_taken);
  store(slot.taken_before, taken);
  store(slot.taking_count, count);
  std::uint64_t end = head;
  for (std::uint32_t i = 0; i < count; ++i) {
    HeldCell& held = slot.cells[attempt.cells[i]];
    store(held.id, end);
    store(held.length, lengths[i]);
    store(held.state, raw(HeldState::kTaking));
    ring_copy_out(queue, end + sizeof(RecordHeader), slot.held_bytes[attempt.cells[i]], lengths[i]);
    end += entry_bytes(lengths[i]);
  }
  queue.fault_point(ShmFaultPoint::kReaderBeforeCommit);
  store(header.consumer.head, end);  // the commit
  queue.fault_point(ShmFaultPoint::kReaderAfterCommit);
  store(header.consumer.records_taken, taken + count);
  for (std::uint32_t i = 0; i < count; ++i) {
    store(slot.cells[attempt.cells[i]].state, raw(HeldState::kHeld));
  }
  store(slot.taking_count, 0u);
  bump(header.consumer.space_seq);
  attempt.count = count;
}

ShmQueueOps::TakeAttempt ShmQueueOps::try_take(ShmQueue& queue, std::uint32_t slot,
                                               std::uint32_t max_records, bool may_sleep) {
  SegmentHeader& header = queue.header();
  ReaderSlot& reader = queue.reader_slot(slot);
  TakeAttempt attempt;
  bool should_wake = false;
  {
    const ShmQueueLock lock(queue);
    set_sleeping(queue, reader, false);
    const std::uint64_t head = load(header.consumer.head);
    const std::uint64_t tail = load(header.producer.tail);
    if (head != tail) {
      take_records(queue, reader, head, tail, max_records, attempt);
      if (attempt.count == 0) {
        throw FatalError(queue.context("a reader took more than " +
                                       std::to_string(kHeldRecordsPerReader) +
                                       " records without acknowledging them"));
      }
      attempt.status = ReceiveStatus::kRecord;
      // Wake sleeping writers in batches: once a quarter of the ring (at least one largest
      // record) is free, not after every record.
      const std::uint64_t free = queue.capacity_bytes_ - (tail - load(header.consumer.head));
      should_wake = load(header.producer.writers_sleeping) > 0 &&
                    free >= std::max<std::uint64_t>(kMaxEntryBytes, queue.capacity_bytes_ / 4);
    } else if (are_writers_done(queue)) {
      attempt.status = ReceiveStatus::kEndOfStream;
    } else if (may_sleep) {
      set_sleeping(queue, reader, true);
      attempt.seen = load(header.producer.data_seq);
    }
  }
  if (should_wake) futex_wake(header.consumer.space_seq, INT_MAX);
  return attempt;
}

// Liveness is tested without the lock (it reads /proc); the slots are marked under it.
bool ShmQueueOps::reap_dead_peers(ShmQueue& queue) {
  SegmentHeader& header = queue.header();
  std::vector<std::pair<std::uint32_t, ProcessIdentity>> dead_writers;
  std::vector<std::pair<std::uint32_t, ProcessIdentity>> dead_readers;
  for (std::uint32_t i = 0; i < queue.writer_slots_; ++i) {
    const WriterSlot& slot = queue.writer_slot(i);
    if (load(slot.state) == raw(SlotState::kAttached) && !is_alive(identity_of(slot))) {
      dead_writers.emplace_back(i, identity_of(slot));
    }
  }
  for (std::uint32_t i = 0; i < queue.reader_slots_; ++i) {
    const ReaderSlot& slot = queue.reader_slot(i);
    if (load(slot.state) == raw(SlotState::kAttached) && !is_alive(identity_of(slot))) {
      dead_readers.emplace_back(i, identity_of(slot));
    }
  }
  if (dead_writers.empty() && dead_readers.empty()) return false;
  {
    const ShmQueueLock lock(queue);
    const auto same = [](const auto& slot, const ProcessIdentity& process) {
      const ProcessIdentity now = identity_of(slot);
      return load(slot.state) == raw(SlotState::kAttached) && now.pid == process.pid &&
             now.start_ticks == process.start_ticks;
    };
    for (const auto& [i, process] : dead_writers) {
      if (!same(queue.writer_slot(i), process)) continue;  // reclaimed meanwhile
      set_sleeping(queue, queue.writer_slot(i), false);
      store(queue.writer_slot(i).state, raw(SlotState::kDead));
    }
    for (const auto& [i, process] : dead_readers) {
      if (!same(queue.reader_slot(i), process)) continue;
      set_sleeping(queue, queue.reader_slot(i), false);
      store(queue.reader_slot(i).state, raw(SlotState::kDead));
    }
    bump(header.producer.data_seq);
    bump(header.consumer.space_seq);
  }
  futex_wake(header.producer.data_seq, INT_MAX);
  futex_wake(header.consumer.space_seq, INT_MAX);
  return true;
}

// True once readers had attached and none is left (closed or dead): a full queue stays full.
bool ShmQueueOps::has_lost_all_readers(ShmQueue& queue) {
  (void)reap_dead_peers(queue);
  if (is_held(queue)) return false;  // a restarted reader is coming
  bool had_readers = false;
  for (std::uint32_t i = 0; i < queue.reader_slots_; ++i) {
    const auto state = load(queue.reader_slot(i).state);
    if (state == raw(SlotState::kAttached)) return false;
    had_readers = had_readers || state != raw(SlotState::kFree);
  }
  return had_readers;
}

}  // namespace dupipe
