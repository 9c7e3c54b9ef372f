// The two kinds of fifo_stress children, each run in its own process. A writer sends its share
// of the workload through the real dupipe writer endpoint (packet:, fifo:) or as unaligned byte
// chunks like `cat`; a reader drains the shared FIFO with the real FdLineReader and writes one
// result line per record to its own file. Both return an exit status and throw FatalError.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/logger.hpp"
#include "common/os/unique_fd.hpp"
#include "tests/integration/fifo_stress/stress_data.hpp"

namespace dupipe::fifo_stress {

enum class WriteMode {
  kPacket,   // open_writer("packet:PATH"): one record per write and per read
  kStream,   // open_writer("fifo:PATH"): one record per write, reads return byte runs
  kChunked,  // raw write(2)s of 1..kMaxRecordBytes bytes cutting records anywhere
};

// What a reader got: one record, identified by its payload hash.
struct Delivery {
  int writer = 0;
  std::uint64_t seq = 0;
  std::uint64_t hash = 0;
};

// A result file line (no newline): "<writer> <seq> <hash>".
[[nodiscard]] std::string format_delivery(const Delivery& delivery);
[[nodiscard]] std::optional<Delivery> parse_delivery(std::string_view line);

[[nodiscard]] int run_writer(const Workload& workload, WriteMode mode, const std::string& fifo,
                             int writer);

// Reads `input` (the FIFO, opened by the parent) to end of stream. Returns 3 if any line was not
// a whole record of the workload (each is logged), after writing the result file anyway.
[[nodiscard]] int run_reader(const Logger& log, UniqueFd input, const std::string& fifo,
                             const Workload& workload, const std::string& result_path);

}  // namespace dupipe::fifo_stress
