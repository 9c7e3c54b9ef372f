#include "common/shm/shm_segment.hpp"

#include <pthread.h>

#include <boost/interprocess/mapped_region.hpp>
#include <cstring>
#include <new>

#include "common/base/error.hpp"
#include "common/os/process_liveness.hpp"

namespace dupipe::shm {
namespace {

namespace bip = boost::interprocess;

void init_robust_mutex(pthread_mutex_t& mutex, const std::string& name) {
  pthread_mutexattr_t attr;
  int rc = ::pthread_mutexattr_init(&attr);
  if (rc == 0) rc = ::pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (rc == 0) rc = ::pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  if (rc == 0) rc = ::pthread_mutex_init(&mutex, &attr);
  ::pthread_mutexattr_destroy(&attr);
  if (rc != 0) throw_errno("shm segment " + name + ": init robust mutex", rc);
}

}  // namespace

std::string describe(const bip::interprocess_exception& e) {
  const int errnum = e.get_native_error();
  return errnum != 0 ? std::strerror(errnum) : e.what();
}

Expected<void> valid_name(const std::string& name) {
  if (name.empty() || name.size() > 200 || name.find('/') != std::string::npos) {
    return fail("shm segment '" + name + "': invalid name (1-200 characters, no '/')");
  }
  return {};
}

void check_name(const std::string& name) { value_or_fatal(valid_name(name)); }

void check_options(const std::string& name, const ShmQueueOptions& options) {
  const auto bad = [&](const std::string& what) {
    throw FatalError("shm segment " + name + ": " + what);
  };
  if (options.capacity_bytes < kMinCapacity || options.capacity_bytes > kMaxCapacity) {
    bad("capacity of " + std::to_string(options.capacity_bytes) + " bytes is outside " +
        std::to_string(kMinCapacity) + ".." + std::to_string(kMaxCapacity));
  }
  if (options.expected_writers < 1 || options.expected_writers > kMaxSlots) {
    bad("expected writers must be 1.." + std::to_string(kMaxSlots));
  }
  if (options.reader_slots < 1 || options.reader_slots > kMaxSlots) {
    bad("reader slots must be 1.." + std::to_string(kMaxSlots));
  }
}

void initialize(void* base, const ShmQueueOptions& options, std::uint64_t capacity,
                const Layout& layout, const std::string& name) {
  auto* header = new (base) SegmentHeader();  // the segment is zero-filled; this starts lifetimes
  header->version = kVersion;
  header->header_bytes = sizeof(SegmentHeader);
  header->total_bytes = layout.total_bytes;
  header->capacity_bytes = capacity;
  header->writer_slots_offset = layout.writer_slots_offset;
  header->reader_slots_offset = layout.reader_slots_offset;
  header->ring_offset = layout.ring_offset;
  header->writer_slots = options.expected_writers;
  header->reader_slots = options.reader_slots;
  header->max_record_bytes = kMaxShmRecordBytes;
  header->reader_slot_bytes = sizeof(ReaderSlot);
  const ProcessIdentity owner = options.owner.value_or(self_identity());
  header->owner_pid = owner.pid;
  header->owner_start_ticks = owner.start_ticks;
  store(header->held_open, options.held_open ? 1u : 0u);
  init_robust_mutex(header->mutex, name);
  char* bytes = static_cast<char*>(base);
  for (std::uint32_t i = 0; i < options.expected_writers; ++i) {
    new (bytes + layout.writer_slots_offset + i * sizeof(WriterSlot)) WriterSlot();
  }
  for (std::uint32_t i = 0; i < options.reader_slots; ++i) {
    new (bytes + layout.reader_slots_offset + i * sizeof(ReaderSlot)) ReaderSlot();
  }
  store(header->magic, kMagic);
}

std::string header_problem(const SegmentHeader& header, std::uint64_t size) {
  const std::uint64_t magic = load(header.magic);
  if (magic == 0) return "not initialised (its creator did not finish setting it up)";
  if (magic != kMagic) return "not a dupipe queue (bad magic number)";
  if (header.version != kVersion) {
    return "queue format version " + std::to_string(header.version) + ", this build reads " +
           std::to_string(kVersion);
  }
  if (header.header_bytes != sizeof(SegmentHeader) ||
      header.max_record_bytes != kMaxShmRecordBytes ||
      header.reader_slot_bytes != sizeof(ReaderSlot)) {
    return "queue header written by an incompatible build";
  }
  if (header.total_bytes != size) {
    return "header says " + std::to_string(header.total_bytes) + " bytes, segment has " +
           std::to_string(size);
  }
  const Layout layout =
      compute_layout(header.capacity_bytes, header.writer_slots, header.reader_slots);
  const bool is_consistent =
      header.capacity_bytes >= kMinCapacity && header.capacity_bytes <= kMaxCapacity &&
      header.capacity_bytes % kCacheLine == 0 && header.writer_slots >= 1 &&
      header.writer_slots <= kMaxSlots && header.reader_slots >= 1 &&
      header.reader_slots <= kMaxSlots && layout.total_bytes == header.total_bytes &&
      layout.writer_slots_offset == header.writer_slots_offset &&
      layout.reader_slots_offset == header.reader_slots_offset &&
      layout.ring_offset == header.ring_offset;
  return is_consistent ? "" : "inconsistent queue layout in the header";
}

std::uint64_t segment_size(const bip::shared_memory_object& shm) {
  bip::offset_t size = 0;
  if (!shm.get_size(size)) return 0;
  return static_cast<std::uint64_t>(size);
}

bool looks_uninitialised(const bip::shared_memory_object& shm) {
  const std::uint64_t size = segment_size(shm);
  if (size == 0) return true;
  if (size < sizeof(SegmentHeader)) return false;
  const bip::mapped_region region(shm, bip::read_only, 0, sizeof(std::uint64_t));
  std::uint64_t magic = 0;
  std::memcpy(&magic, region.get_address(), sizeof magic);
  return magic == 0;
}

}  // namespace dupipe::shm
