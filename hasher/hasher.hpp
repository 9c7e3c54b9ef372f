// The hasher stage loop: P records in, H records (file + digest) out; F records pass through.
// A file that cannot be read, or whose size differs from the P record's, becomes an F record.
#pragma once

#include <cstdint>
#include <string>

#include "common/endpoint.hpp"
#include "common/logger.hpp"
#include "hasher/digest.hpp"

namespace dupipe::hasher {

struct Config {
  std::string in = "-";
  std::string out = "-";
  std::string algorithm = "sha256";
};

struct Counts {
  std::uint64_t hashed = 0;
  std::uint64_t failed = 0;
  std::uint64_t passed_through = 0;
};

[[nodiscard]] Counts run(RecordReader& input, RecordWriter& output, FileDigester& digester,
                         const std::string& algorithm, const Logger& logger);

}  // namespace dupipe::hasher
