#include "supervisor/shm_links.hpp"

#include "common/observe/stage_stats.hpp"
#include "common/os/process_liveness.hpp"
#include "common/shm/shm_queue.hpp"

namespace dupipe::supervisor {

ShmSegment ShmSegment::create_queue(const std::string& name, std::uint32_t writers,
                                    std::uint64_t capacity_bytes) {
  ShmQueueOptions options;
  options.capacity_bytes = capacity_bytes;
  options.expected_writers = writers;
  options.owner = self_identity();
  options.held_open = true;
  (void)ShmQueue::create(name, options);
  return ShmSegment(name);
}

ShmSegment ShmSegment::create_stats(const std::string& name, std::uint32_t slots) {
  StatsArea::create(name, slots, self_identity());
  return ShmSegment(name);
}

ShmSegment::~ShmSegment() {
  if (!name_.empty()) (void)ShmQueue::remove(name_);  // shm_unlink: the same for both kinds
}

void ShmSegment::release() const { ShmQueue::open(name_).release(); }

}  // namespace dupipe::supervisor
