// The verdict of a fifo_stress round: the manifest of what the writers sent (recomputed from the
// seed) against what each reader reported. The two are compared as multisets of
// (writer, seq, payload hash): every record must arrive exactly once, intact. Single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/fifo_stress/stress_data.hpp"
#include "tests/integration/fifo_stress/stress_roles.hpp"

namespace dupipe::fifo_stress {

struct Manifest {
  std::vector<std::vector<std::uint64_t>> hashes;  // [writer][seq] payload hash
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;  // framed, newlines included
};

[[nodiscard]] Manifest build_manifest(const Workload& workload);

class DeliveryCheck {
 public:
  explicit DeliveryCheck(const Manifest& manifest);

  void add(int reader, const Delivery& delivery);
  void add_unreadable(int reader, std::string_view result_line);

  // Empty when the multisets are equal; otherwise how many records were lost, duplicated or
  // damaged and the first problems, one per line. Call once, after the last add: it also
  // looks for lost records.
  [[nodiscard]] std::string problems();

 private:
  void report(std::uint64_t& kind_count, const std::string& problem);

  const Manifest& manifest_;
  std::vector<std::vector<int>> first_reader_;  // [writer][seq]; -1 until received
  std::uint64_t lost_ = 0;
  std::uint64_t duplicated_ = 0;
  std::uint64_t damaged_ = 0;  // never sent, other payload, or an unreadable result line
  std::string listed_;
};

}  // namespace dupipe::fifo_stress
