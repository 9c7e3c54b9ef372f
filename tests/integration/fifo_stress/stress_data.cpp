#include "tests/integration/fifo_stress/stress_data.hpp"

#include <array>
#include <functional>
#include <vector>

#include "common/base/error.hpp"
#include "common/protocol/record_codec.hpp"

namespace dupipe::fifo_stress {
namespace {

using CostTable = std::array<std::uint8_t, 256>;

// Escaped size of each byte value, taken from the real codec so the budget follows its rules.
const CostTable& escape_costs() {
  static const CostTable costs = [] {
    CostTable table{};
    for (std::size_t value = 0; value < table.size(); ++value) {
      const char byte = static_cast<char>(value);
      table[value] = static_cast<std::uint8_t>(escape_field(std::string_view(&byte, 1)).size());
    }
    return table;
  }();
  return costs;
}

std::size_t escaped_size(std::string_view raw) {
  std::size_t size = 0;
  for (const char c : raw) size += escape_costs()[static_cast<unsigned char>(c)];
  return size;
}

// "T\t<writer>\t<seq>\t": digits need no escaping.
std::size_t header_size(int writer, std::uint64_t seq) {
  return 4 + std::to_string(writer).size() + std::to_string(seq).size();
}

std::uint64_t record_seed(const Workload& workload, int writer, std::uint64_t seq) {
  SplitMix64 mix(workload.seed ^ (static_cast<std::uint64_t>(writer) << 48) ^ seq);
  return mix.next();
}

std::size_t pick_budget(SplitMix64& random, std::size_t max_budget) {
  switch (random.below(8)) {
    case 0:
      return max_budget;
    case 1:
      return 1 + random.below(16);
    default:
      return 1 + random.below(max_budget);
  }
}

}  // namespace

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t writer_share(const Workload& workload, int writer) {
  const auto writers = static_cast<std::uint64_t>(workload.writers);
  const auto index = static_cast<std::uint64_t>(writer);
  return workload.records / writers + (index < workload.records % writers ? 1 : 0);
}

// Random bytes while they fit the budget; a byte that would overflow it is replaced by a letter
// (escaped size 1), so the escaped payload is exactly the budget.
std::string make_payload(const Workload& workload, int writer, std::uint64_t seq) {
  SplitMix64 random(record_seed(workload, writer, seq));
  const std::size_t max_budget = kMaxRecordBytes - 1 - header_size(writer, seq);
  std::size_t remaining = pick_budget(random, max_budget);
  std::string payload;
  payload.reserve(remaining);
  while (remaining > 0) {
    std::uint64_t word = random.next();
    for (int i = 0; i < 8 && remaining > 0; ++i, word >>= 8) {
      auto byte = static_cast<unsigned char>(word & 0xff);
      if (escape_costs()[byte] > remaining) byte = static_cast<unsigned char>('a' + byte % 26);
      payload += static_cast<char>(byte);
      remaining -= escape_costs()[byte];
    }
  }
  return payload;
}

std::string make_line(int writer, std::uint64_t seq, const std::string& payload) {
  auto line = encode_fields({"T", std::to_string(writer), std::to_string(seq), payload});
  if (!line) {
    throw FatalError("record " + std::to_string(writer) + ":" + std::to_string(seq) + ": " +
                     line.error().message);
  }
  return std::move(*line);
}

std::size_t framed_size(int writer, std::uint64_t seq, std::string_view payload) {
  return header_size(writer, seq) + escaped_size(payload) + 1;
}

std::uint64_t payload_hash(std::string_view payload) {
  return std::hash<std::string_view>{}(payload);
}

}  // namespace dupipe::fifo_stress
