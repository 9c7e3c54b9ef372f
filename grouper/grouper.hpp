// The size grouper of directory mode: a barrier that reads every W record before it can tell
// which sizes are shared, then hands each whole size group (a G record and its W records) to one
// of its outputs, one per hasher, most work first (size_grouping.hpp). F, H, L and S records,
// and its own counts, go to the first output at once. Each output is written by a thread of its
// own: on demand where the outputs are FIFOs it can shrink (the next groups go to the hasher
// that took its last batch), else by the static plan. See docs/PROTOCOL.md for the links.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/base/logger.hpp"
#include "common/transport/batching_writer.hpp"
#include "common/transport/endpoint.hpp"
#include "grouper/size_grouping.hpp"

namespace dupipe::grouper {

struct Config {
  std::string in = "-";
  std::vector<std::string> out{"-"};  // one per hasher
  SizeOptions size;
  // Test hook: when set, the stage creates PAUSE_DIR/paused once it has read its whole input and
  // waits (at most 30 s) for PAUSE_DIR/resume before writing, so a test can change a file
  // between the walk and the hash.
  std::string pause_dir;
};

struct Counts {
  std::uint64_t received = 0;    // W records read
  std::uint64_t candidates = 0;  // W records written
  std::uint64_t passed_through = 0;
};

// Flushes every output at the end. `outputs` is not empty; the first takes what is not a group.
[[nodiscard]] Counts run(RecordReader& input, const std::vector<BatchingWriter*>& outputs,
                         const Config& config, const Logger& logger);

}  // namespace dupipe::grouper
