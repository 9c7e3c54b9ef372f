// The hasher stage loop: P records in, H records (file + digest) out; F records pass through.
// A file that cannot be read, or whose size differs from the P record's, becomes an F record.
// In directory mode (--mode full|partial) W records are hashed instead (local_file_hasher.hpp),
// and the bytes read are reported at the end in S records (full_bytes, partial_bytes). With
// `digests` set, H records made from W records go there instead of to `output`.
#pragma once

#include <cstdint>
#include <string>

#include "common/endpoint.hpp"
#include "common/logger.hpp"
#include "hasher/digest.hpp"
#include "hasher/local_file_hasher.hpp"

namespace dupipe::hasher {

struct Config {
  std::string in = "-";
  std::string out = "-";
  std::string algorithm = "sha256";
  HashMode mode = HashMode::kUrl;
  std::string digests_out;  // directory mode: where H records go, if not to --out
};

struct Counts {
  std::uint64_t hashed = 0;
  std::uint64_t failed = 0;
  std::uint64_t passed_through = 0;
  std::uint64_t full_bytes = 0;     // directory mode: bytes read for full digests
  std::uint64_t partial_bytes = 0;  // directory mode: bytes read for partial digests
  // Directory mode: CLOCK_MONOTONIC (ns) when the first W record arrived and when the input
  // ended, so that a benchmark can time the hashing phase across all hashers (0: no W record).
  std::uint64_t first_file_ns = 0;
  std::uint64_t end_ns = 0;
};

[[nodiscard]] Counts run(RecordReader& input, RecordWriter& output, FileDigester& digester,
                         const std::string& algorithm, const Logger& logger,
                         HashMode mode = HashMode::kUrl, RecordWriter* digests = nullptr);

}  // namespace dupipe::hasher
