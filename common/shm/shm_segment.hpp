// Creating and validating a queue segment: option and name checks, writing a fresh header and its
// slots into a new mapping, and checking the header of an existing segment before it is trusted.
// Internal to the shm queue (used by ShmQueue::create and ShmQueue::open).
#pragma once

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/shm/shm_layout.hpp"
#include "common/shm/shm_queue.hpp"

namespace dupipe::shm {

constexpr std::size_t kMinCapacity = 8192;
constexpr std::size_t kMaxCapacity = std::size_t{1} << 30;
constexpr std::uint32_t kMaxSlots = 4096;

// The cause of a Boost.Interprocess failure: strerror of its errno, else its message.
[[nodiscard]] std::string describe(const boost::interprocess::interprocess_exception& e);
// An Error unless the name is 1-200 characters without '/'; check_name throws it as FatalError.
[[nodiscard]] Expected<void> valid_name(const std::string& name);
void check_name(const std::string& name);
// FatalError unless capacity and slot counts are within the limits above.
void check_options(const std::string& name, const ShmQueueOptions& options);
// Writes a fresh header (magic number last) and empty slots into a zero-filled mapping.
void initialize(void* base, const ShmQueueOptions& options, std::uint64_t capacity,
                const Layout& layout, const std::string& name);
// Returns what is wrong with the header of a segment of `size` bytes, or "" if nothing.
[[nodiscard]] std::string header_problem(const SegmentHeader& header, std::uint64_t size);
// The segment's size in bytes; 0 if it cannot be read.
[[nodiscard]] std::uint64_t segment_size(const boost::interprocess::shared_memory_object& shm);
// A creator maps, initialises and only then publishes the magic number; give it a moment.
[[nodiscard]] bool looks_uninitialised(const boost::interprocess::shared_memory_object& shm);

}  // namespace dupipe::shm
