// The shared-memory queue segment format (version 4): plain-data structs at fixed offsets, the
// static_asserts that pin their layout, and the small atomic helpers every queue component uses.
// Internal to the shm queue (common/shm/shm_queue*.cpp); nothing here owns memory.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "common/shm/shm_queue.hpp"

namespace dupipe::shm {

// ---------------------------------------------------------------------------------------------
// The segment format (version 4). Everything is plain data at fixed offsets from the start of the
// segment; no pointers. Native byte order: the segment never leaves the machine.
//
//   SegmentHeader                      identity, robust mutex, producer line, consumer line
//   WriterSlot[writer_slots]           one per expected writer: pid, start time, state
//   ReaderSlot[reader_slots]           one per reader: pid, state, up to kHeldRecordsPerReader
//                                      records it holds in flight, each in a cell of its own
//   ring[capacity_bytes]               records: {u32 length, u32 ~length} + bytes, padded to 8
//
// head and tail are byte positions that only grow (offset in the ring = position % capacity); a
// record is named by its position (RingPosition). A reader takes one record or a batch of
// consecutive ones: it copies each into a free held cell of its slot (id, length, bytes), then
// moves the head; a cell stays held until the reader acknowledges that record, so records taken
// at different times may be in flight together. Every change to the ring happens under the robust
// mutex; the atomics let stats() read without it and let sleepers compare futex words.
// ---------------------------------------------------------------------------------------------
inline constexpr std::uint64_t kMagic = 0x3151'4550'4950'5544;  // "DUPIPEQ1" in little endian
inline constexpr std::uint32_t kVersion = 4;  // 3 with a held cell per record in flight
inline constexpr std::size_t kCacheLine = 64;

// Writer slots use kFinished for "closed"; reader slots use it for "detached".
enum class SlotState : std::uint32_t { kFree = 0, kAttached = 1, kFinished = 2, kDead = 3 };
// Per held cell: kTaking from before the copy until after the commit of the head (see repair).
enum class HeldState : std::uint32_t { kNone = 0, kTaking = 1, kHeld = 2 };

struct RecordHeader {
  std::uint32_t length;
  std::uint32_t check;  // ~length: a torn or stray header does not pass for a record
};

struct alignas(kCacheLine) WriterSlot {
  std::atomic<std::uint32_t> state;
  std::atomic<std::uint32_t> is_sleeping;  // counted in writers_sleeping
  std::atomic<std::int32_t> pid;
  std::atomic<std::uint64_t> start_ticks;  // /proc/<pid>/stat field 22: tells a reused pid apart
};

constexpr std::uint64_t kMaxEntryBytes = 8 + kMaxShmRecordBytes;  // RecordHeader + longest record
constexpr std::size_t kHeldCellBytes =
    (kMaxShmRecordBytes + kCacheLine - 1) / kCacheLine * kCacheLine;

// Which record a held cell holds. Written by its reader only (state last, with release); read by
// that reader's other thread (acknowledge), by orphaned_records and by repair.
struct HeldCell {
  std::atomic<std::uint32_t> state;   // HeldState
  std::atomic<std::uint32_t> length;  // bytes of the record in the cell
  std::atomic<std::uint64_t> id;      // its ring position
};

struct alignas(kCacheLine) ReaderSlot {
  std::atomic<std::uint32_t> state;
  std::atomic<std::uint32_t> is_sleeping;  // counted in readers_sleeping
  std::atomic<std::int32_t> pid;
  std::atomic<std::uint32_t> taking_count;  // records of the take in progress (for repair)
  std::atomic<std::uint64_t> start_ticks;
  std::atomic<std::uint64_t> taken_before;  // records_taken when the take began (for repair)
  alignas(kCacheLine) HeldCell cells[kHeldRecordsPerReader];
  // Only the metadata above is touched when a segment is set up: a cell's bytes only once used.
  alignas(kCacheLine) char held_bytes[kHeldRecordsPerReader][kHeldCellBytes];
};

struct alignas(kCacheLine) ProducerLine {  // written by writers
  std::atomic<std::uint64_t> tail;
  std::atomic<std::uint64_t> records_written;
  std::atomic<std::uint32_t> data_seq;  // futex word readers sleep on; bumped on every commit
  std::atomic<std::uint32_t> writers_sleeping;
};

struct alignas(kCacheLine) ConsumerLine {  // written by readers
  std::atomic<std::uint64_t> head;
  std::atomic<std::uint64_t> records_taken;
  std::atomic<std::uint32_t> space_seq;  // futex word writers sleep on; bumped on every take
  std::atomic<std::uint32_t> readers_sleeping;
};

struct SegmentHeader {
  std::atomic<std::uint64_t> magic;  // stored last by create: an opener sees all or nothing
  std::uint32_t version;
  std::uint32_t header_bytes;
  std::uint64_t total_bytes;
  std::uint64_t capacity_bytes;
  std::uint64_t writer_slots_offset;
  std::uint64_t reader_slots_offset;
  std::uint64_t ring_offset;
  std::uint32_t writer_slots;  // == expected writers
  std::uint32_t reader_slots;
  std::uint32_t max_record_bytes;
  std::uint32_t reader_slot_bytes;
  // The process that owns the name (the launcher of the run): once it is dead the segment is stale
  // and `dupipe-shm cleanup` may remove it.
  std::int32_t owner_pid;
  // 1 while the launcher holds the stream open for restarted stages (like a FIFO keeper): no end
  // of stream, a dead writer's slot may be taken by its replacement, and writers wait for a
  // restarted reader instead of failing when every reader is gone. Cleared by release().
  std::atomic<std::uint32_t> held_open;
  std::uint64_t owner_start_ticks;
  alignas(kCacheLine) pthread_mutex_t mutex;  // PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ROBUST
  ProducerLine producer;
  ConsumerLine consumer;
  alignas(kCacheLine) std::atomic<std::uint32_t> repairs;
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic<std::int32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint32_t>) == 4, "futex words are 32-bit");
static_assert(std::is_standard_layout_v<SegmentHeader>);
static_assert(std::is_standard_layout_v<WriterSlot> && std::is_standard_layout_v<ReaderSlot>);
static_assert(offsetof(SegmentHeader, owner_start_ticks) == 80);
static_assert(offsetof(SegmentHeader, mutex) == 128);
static_assert(offsetof(SegmentHeader, producer) == 192 && offsetof(SegmentHeader, consumer) == 256,
              "producer and consumer counters on separate cache lines");
static_assert(sizeof(SegmentHeader) == 384 && alignof(SegmentHeader) == kCacheLine);
static_assert(sizeof(WriterSlot) == 64);
static_assert(sizeof(HeldCell) == 16);
static_assert(sizeof(ReaderSlot) ==
              64 + 16 * kHeldRecordsPerReader + kHeldRecordsPerReader * kHeldCellBytes);
static_assert(sizeof(RecordHeader) == 8);

constexpr std::uint64_t kRecordAlign = 8;
static_assert(kMaxEntryBytes == sizeof(RecordHeader) + kMaxShmRecordBytes);

constexpr std::uint64_t round_up(std::uint64_t n, std::uint64_t to) {
  return (n + to - 1) / to * to;
}

constexpr std::uint64_t entry_bytes(std::uint64_t length) {
  return sizeof(RecordHeader) + round_up(length, kRecordAlign);
}

template <typename T>
T load(const std::atomic<T>& value) {
  return value.load(std::memory_order_acquire);
}

template <typename T>
void store(std::atomic<T>& value, T new_value) {
  value.store(new_value, std::memory_order_release);
}

template <typename E>
constexpr std::uint32_t raw(E value) {
  return static_cast<std::uint32_t>(value);
}

inline void bump(std::atomic<std::uint32_t>& word) { store(word, load(word) + 1); }

inline bool holds_records(const ReaderSlot& slot) {
  for (const HeldCell& cell : slot.cells) {
    if (load(cell.state) != raw(HeldState::kNone)) return true;
  }
  return false;
}

struct Layout {
  std::uint64_t writer_slots_offset = 0;
  std::uint64_t reader_slots_offset = 0;
  std::uint64_t ring_offset = 0;
  std::uint64_t total_bytes = 0;
};

inline Layout compute_layout(std::uint64_t capacity, std::uint64_t writer_slots,
                             std::uint64_t reader_slots) {
  Layout layout;
  layout.writer_slots_offset = sizeof(SegmentHeader);
  layout.reader_slots_offset = layout.writer_slots_offset + writer_slots * sizeof(WriterSlot);
  layout.ring_offset = layout.reader_slots_offset + reader_slots * sizeof(ReaderSlot);
  layout.total_bytes = layout.ring_offset + capacity;
  return layout;
}

}  // namespace dupipe::shm
