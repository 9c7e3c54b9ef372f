// The locked operations on a mapped queue segment (attach, send, take, close, reap, repair) and
// the robust-mutex guard they run under. Internal to the shm queue: ShmQueue, ShmQueueWriter and
// ShmQueueReader call these; ShmQueueOps and ShmQueueLock are friends of ShmQueue.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/os/process_liveness.hpp"
#include "common/shm/shm_layout.hpp"
#include "common/shm/shm_queue.hpp"

namespace dupipe {
namespace shm {

template <typename Slot>
ProcessIdentity identity_of(const Slot& slot) {
  return {static_cast<pid_t>(load(slot.pid)), load(slot.start_ticks)};
}

}  // namespace shm

// Holds the queue's robust mutex. If the previous owner died holding it (EOWNERDEAD), repairs the
// queue before anyone else sees it, then marks the mutex consistent.
class ShmQueueLock {
 public:
  explicit ShmQueueLock(const ShmQueue& queue);
  ShmQueueLock(const ShmQueueLock&) = delete;
  ShmQueueLock& operator=(const ShmQueueLock&) = delete;
  ~ShmQueueLock() { ::pthread_mutex_unlock(&mutex_); }

 private:
  pthread_mutex_t& mutex_;
};

// The operations on the segment. Each public function takes the lock itself.
class ShmQueueOps {
 public:
  struct SendAttempt {
    std::size_t sent = 0;    // records queued from the front of the batch (0: no room)
    std::uint32_t seen = 0;  // space_seq when the writer decided to sleep
  };
  struct TakeAttempt {
    ReceiveStatus status = ReceiveStatus::kTimedOut;  // kTimedOut: the queue was empty
    std::uint32_t seen = 0;                           // data_seq when the reader decided to sleep
    std::uint32_t count = 0;                          // records taken into held cells
    std::array<std::uint32_t, kHeldRecordsPerReader> cells{};  // which cells, in ring order
  };

  static std::uint32_t attach_writer(ShmQueue& queue);
  static std::optional<std::uint32_t> find_writer_slot(ShmQueue& queue, const ProcessIdentity& self,
                                                       bool may_take_finished);
  static void close_writer(ShmQueue& queue, std::uint32_t slot);
  // Queues as many records of the front of `records` as fit, under one lock and one commit.
  static SendAttempt try_send(ShmQueue& queue, std::uint32_t slot,
                              std::span<const std::string_view> records, bool may_sleep);
  static std::uint32_t attach_reader(ShmQueue& queue);
  static void close_reader(ShmQueue& queue, std::uint32_t slot);
  // Takes up to `max_records` consecutive records (at least one if any is queued and a cell is
  // free) into free held cells of the slot.
  static TakeAttempt try_take(ShmQueue& queue, std::uint32_t slot, std::uint32_t max_records,
                              bool may_sleep);
  static bool reap_dead_peers(ShmQueue& queue);
  static bool has_lost_all_readers(ShmQueue& queue);
  static void repair(const ShmQueue& queue);

 private:
  static std::optional<std::uint32_t> find_reader_slot(ShmQueue& queue,
                                                       const ProcessIdentity& self);
  static void set_sleeping(ShmQueue& queue, shm::WriterSlot& slot, bool is_sleeping);
  static void set_sleeping(ShmQueue& queue, shm::ReaderSlot& slot, bool is_sleeping);
  static void take_records(const ShmQueue& queue, shm::ReaderSlot& slot, std::uint64_t head,
                           std::uint64_t tail, std::uint32_t max_records, TakeAttempt& attempt);
  static bool are_writers_done(const ShmQueue& queue);
  static bool is_held(const ShmQueue& queue);
  static shm::RecordHeader checked_header(const ShmQueue& queue, std::uint64_t position,
                                          std::uint64_t tail);
  static void ring_copy_in(const ShmQueue& queue, std::uint64_t position, const void* source,
                           std::size_t size);
  static void ring_copy_out(const ShmQueue& queue, std::uint64_t position, void* target,
                            std::size_t size);
  static void resolve_interrupted_take(const ShmQueue& queue, shm::ReaderSlot& slot);
};

}  // namespace dupipe
