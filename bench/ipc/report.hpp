// Runs every measurement of the plan and prints the markdown table and the goal ratios.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace dupipe::bench {

struct Plan {
  std::uint64_t small_records = 2'000'000;
  std::uint64_t large_records = 200'000;
  int round_trips = 50'000;
  std::string only;
};

void print_table(const Plan& plan, const std::string& scratch, std::ostream& out);

}  // namespace dupipe::bench
