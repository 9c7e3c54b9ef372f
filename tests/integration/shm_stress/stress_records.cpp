#include "tests/integration/shm_stress/stress_records.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/base/error.hpp"

namespace dupipe::shm_stress {
namespace {

constexpr std::size_t kKeyBytes = 8;  // u32 writer, u32 seq

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E37'79B9'7F4A'7C15);
  z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9;
  z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EB;
  return z ^ (z >> 31);
}

// The record's length and the state its filler bytes come from.
std::uint64_t record_state(const Workload& workload, std::uint32_t writer, std::uint64_t seq) {
  std::uint64_t state = workload.seed ^ (std::uint64_t{writer} << 40) ^ seq;
  (void)splitmix64(state);
  return state;
}

void fill(std::string& record, std::uint64_t state) {
  for (std::size_t at = kKeyBytes; at < record.size(); at += 8) {
    const std::uint64_t bits = splitmix64(state);
    std::memcpy(record.data() + at, &bits, std::min<std::size_t>(8, record.size() - at));
  }
}

}  // namespace

std::uint64_t records_of(const Workload& workload, std::uint32_t writer) {
  return workload.records / workload.writers + (writer < workload.records % workload.writers);
}

std::uint64_t first_index(const Workload& workload, std::uint32_t writer) {
  std::uint64_t index = 0;
  for (std::uint32_t w = 0; w < writer; ++w) index += records_of(workload, w);
  return index;
}

std::size_t record_length(const Workload& workload, std::uint32_t writer, std::uint64_t seq) {
  std::uint64_t state = record_state(workload, writer, seq);
  return kKeyBytes + splitmix64(state) % (workload.max_length - kKeyBytes + 1);
}

std::string make_record(const Workload& workload, std::uint32_t writer, std::uint64_t seq) {
  std::uint64_t state = record_state(workload, writer, seq);
  (void)splitmix64(state);  // the length, see record_length
  std::string record(record_length(workload, writer, seq), '\0');
  const auto seq32 = static_cast<std::uint32_t>(seq);
  std::memcpy(record.data(), &writer, 4);
  std::memcpy(record.data() + 4, &seq32, 4);
  fill(record, state);
  return record;
}

std::optional<std::uint64_t> verify_record(const Workload& workload, std::string_view bytes) {
  if (bytes.size() < kKeyBytes) return std::nullopt;
  std::uint32_t writer = 0;
  std::uint32_t seq = 0;
  std::memcpy(&writer, bytes.data(), 4);
  std::memcpy(&seq, bytes.data() + 4, 4);
  if (writer >= workload.writers || seq >= records_of(workload, writer)) return std::nullopt;
  if (make_record(workload, writer, seq) != bytes) return std::nullopt;
  return first_index(workload, writer) + seq;
}

Board::Board(std::uint64_t records, std::uint32_t writers, std::uint32_t readers)
    : bytes_(records * sizeof(std::uint32_t) + (writers + readers) * sizeof(std::uint64_t) + 64),
      records_(records),
      writers_(writers) {
  // MAP_SHARED before fork: parent and children see one copy; zero-filled.
  base_ = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base_ == MAP_FAILED) throw_errno("mmap result board", errno);
}

Board::~Board() { ::munmap(base_, bytes_); }  // owner

std::atomic<std::uint32_t>& Board::delivered(std::uint64_t index) const {
  return static_cast<std::atomic<std::uint32_t>*>(base_)[index];
}

std::atomic<std::uint64_t>& Board::sent_by(std::uint32_t writer) const {
  const std::size_t offset = (records_ * sizeof(std::uint32_t) + 63) / 64 * 64;
  return reinterpret_cast<std::atomic<std::uint64_t>*>(static_cast<char*>(base_) + offset)[writer];
}

std::atomic<std::uint64_t>& Board::received_by(std::uint32_t reader) const {
  return (&sent_by(0))[writers_ + reader];
}

}  // namespace dupipe::shm_stress
