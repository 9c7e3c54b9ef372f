// The data of one shm_stress round. Record `seq` of writer `w` has a length and bytes any process
// can recompute from the seed, so a reader verifies every record it gets and names it by its
// index; the parent then checks counts, not copies. Board holds those counts in an anonymous
// shared mapping made before fork, so a child killed by SIGKILL has already published its work.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dupipe::shm_stress {

struct Workload {
  std::uint64_t seed = 1;
  std::uint32_t writers = 4;
  std::uint64_t records = 1'000'000;  // over all writers
  std::size_t max_length = 4096;      // lengths are uniform in [8, max_length]
  std::uint32_t batch = 1;            // records per send_batch / receive_batch (1: send, receive)
};

[[nodiscard]] std::uint64_t records_of(const Workload& workload, std::uint32_t writer);
[[nodiscard]] std::uint64_t first_index(const Workload& workload, std::uint32_t writer);
[[nodiscard]] std::size_t record_length(const Workload& workload, std::uint32_t writer,
                                        std::uint64_t seq);
[[nodiscard]] std::string make_record(const Workload& workload, std::uint32_t writer,
                                      std::uint64_t seq);
// The record's index over all writers, or nullopt if the bytes are not a record of this workload.
[[nodiscard]] std::optional<std::uint64_t> verify_record(const Workload& workload,
                                                         std::string_view bytes);

class Board {
 public:
  Board(std::uint64_t records, std::uint32_t writers, std::uint32_t readers);
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;
  ~Board();

  // How often each record was received (by any reader).
  [[nodiscard]] std::atomic<std::uint32_t>& delivered(std::uint64_t index) const;
  [[nodiscard]] std::atomic<std::uint64_t>& received_by(std::uint32_t reader) const;
  // Sends of a writer that have returned.
  [[nodiscard]] std::atomic<std::uint64_t>& sent_by(std::uint32_t writer) const;

 private:
  std::size_t bytes_ = 0;
  void* base_ = nullptr;
  std::uint64_t records_;
  std::uint32_t writers_;
};

}  // namespace dupipe::shm_stress
