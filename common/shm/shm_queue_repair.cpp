#include <pthread.h>

#include <cerrno>
#include <climits>
#include <string>

#include "common/base/error.hpp"
#include "common/os/futex.hpp"
#include "common/shm/shm_queue_ops.hpp"

namespace dupipe {

using namespace shm;

// ----- Repair ------------------------------------------------------------------------------
// A process died holding the lock. What it may have left half done, and how that is settled:
//  - a writer: bytes beyond the tail (invisible; overwritten later) and records_written not yet
//    counted (recounted from the ring);
//  - a reader: held cells in kTaking (kept if the head had moved past them, else dropped: the
//    records are still in the ring) and records_taken (set from the slot's taken_before and
//    taking_count);
//  - anyone: the sleeper counters (recounted from the slots' flags).
// Every step is idempotent, so a process that dies while repairing is repaired after by the next.

// Takes the lock; on EOWNERDEAD repairs the queue (below), then marks the mutex consistent.
ShmQueueLock::ShmQueueLock(const ShmQueue& queue) : mutex_(queue.header().mutex) {
  const int rc = ::pthread_mutex_lock(&mutex_);
  if (rc == 0) return;
  if (rc == EOWNERDEAD) {
    try {
      ShmQueueOps::repair(queue);
    } catch (const FatalError&) {
      // Unlocked without pthread_mutex_consistent: every later lock gets ENOTRECOVERABLE.
      ::pthread_mutex_unlock(&mutex_);
      throw;
    }
    ::pthread_mutex_consistent(&mutex_);
    return;
  }
  if (rc == ENOTRECOVERABLE) {
    throw FatalError(queue.context("queue lock unrecoverable: a repair found the queue corrupt"));
  }
  throw_errno(queue.context("lock queue"), rc);
}

// Every kTaking cell belongs to the one take that was interrupted: one store of the head
// committed all of them or none.
void ShmQueueOps::resolve_interrupted_take(const ShmQueue& queue, ReaderSlot& slot) {
  SegmentHeader& header = queue.header();
  bool is_taking = false;
  bool is_committed = false;
  for (const HeldCell& cell : slot.cells) {
    if (load(cell.state) != raw(HeldState::kTaking)) continue;
    is_taking = true;
    is_committed = load(header.consumer.head) > load(cell.id);
  }
  if (!is_taking) return;
  store(header.consumer.records_taken,
        load(slot.taken_before) + (is_committed ? load(slot.taking_count) : 0));
  for (HeldCell& cell : slot.cells) {
    if (load(cell.state) != raw(HeldState::kTaking)) continue;
    store(cell.state, raw(is_committed ? HeldState::kHeld : HeldState::kNone));
  }
  store(slot.taking_count, 0u);
}

void ShmQueueOps::repair(const ShmQueue& queue) {
  SegmentHeader& header = queue.header();
  header.repairs.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t head = load(header.consumer.head);
  const std::uint64_t tail = load(header.producer.tail);
  if (tail < head || tail - head > queue.capacity_bytes_ || head % kRecordAlign != 0 ||
      tail % kRecordAlign != 0) {
    throw FatalError(queue.context("corrupt queue: head " + std::to_string(head) + ", tail " +
                                   std::to_string(tail)));
  }
  std::uint32_t readers_sleeping = 0;
  for (std::uint32_t i = 0; i < queue.reader_slots_; ++i) {
    ReaderSlot& slot = queue.reader_slot(i);
    resolve_interrupted_take(queue, slot);
    readers_sleeping += load(slot.is_sleeping);
  }
  std::uint32_t writers_sleeping = 0;
  for (std::uint32_t i = 0; i < queue.writer_slots_; ++i) {
    writers_sleeping += load(queue.writer_slot(i).is_sleeping);
  }
  std::uint64_t records = 0;
  for (std::uint64_t position = head; position != tail; ++records) {
    position += entry_bytes(checked_header(queue, position, tail).length);
  }
  store(header.producer.records_written, load(header.consumer.records_taken) + records);
  store(header.consumer.readers_sleeping, readers_sleeping);
  store(header.producer.writers_sleeping, writers_sleeping);
  bump(header.producer.data_seq);
  bump(header.consumer.space_seq);
  futex_wake(header.producer.data_seq, INT_MAX);  // they queue on the mutex we hold; harmless
  futex_wake(header.consumer.space_seq, INT_MAX);
}

}  // namespace dupipe
