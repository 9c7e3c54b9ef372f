// The grouping stage loop (directory mode): a barrier that reads every W record before it can
// tell which sizes (or partial digests) are shared, then passes on only the candidates. F, H, L
// and S records pass through at once. Run once by size (after the walk) and once by partial
// digest (after the partial hashers); see docs/PROTOCOL.md for the links.
#pragma once

#include <cstdint>
#include <string>

#include "common/batching_writer.hpp"
#include "common/endpoint.hpp"
#include "common/logger.hpp"
#include "grouper/size_grouping.hpp"

namespace dupipe::grouper {

enum class GroupBy { kSize, kPartial };

struct Config {
  std::string in = "-";
  std::string out = "-";
  GroupBy by = GroupBy::kSize;
  SizeOptions size;
  // Test hook: when set, the stage creates PAUSE_DIR/paused once it has read its whole input and
  // waits (at most 30 s) for PAUSE_DIR/resume before writing, so a test can change a file
  // between the walk and the hash.
  std::string pause_dir;
};

struct Counts {
  std::uint64_t received = 0;      // W records read
  std::uint64_t candidates = 0;    // W records written
  std::uint64_t passed_through = 0;
};

// Flushes `output` at the end. Candidates are batched by the bytes their readers will read.
[[nodiscard]] Counts run(RecordReader& input, BatchingWriter& output, const Config& config,
                         const Logger& logger);

}  // namespace dupipe::grouper
