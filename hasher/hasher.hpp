// The hasher stage loop: P records in, H records (file + digest) out; F records pass through.
// A file that cannot be read, or whose size differs from the P record's, becomes an F record.
// In directory mode (--mode group) size groups come in instead, G and W records
// (hasher/group_hasher.hpp), and the bytes read are reported at the end in S records
// (full_bytes, partial_bytes, unique_partial).
#pragma once

#include <cstdint>
#include <string>

#include "common/base/logger.hpp"
#include "common/transport/endpoint.hpp"
#include "hasher/digest.hpp"
#include "hasher/group_hasher.hpp"

namespace dupipe::hasher {

enum class HashMode {
  kUrl,    // URL mode: P and F records only
  kGroup,  // directory mode: G and W records, one size group at a time
};

struct Config {
  std::string in = "-";
  std::string out = "-";
  std::string algorithm = "sha256";
  HashMode mode = HashMode::kUrl;
  std::size_t max_open_files = kDefaultMaxOpenFiles;  // directory mode, per group
};

struct Counts {
  std::uint64_t hashed = 0;
  std::uint64_t failed = 0;
  std::uint64_t passed_through = 0;
  GroupCounts group;  // directory mode: bytes read, files ruled out by their edges
  // Directory mode: CLOCK_MONOTONIC (ns) when the first group arrived and when the input ended
  // (its last group done), so that a benchmark can time the hashing across all hashers (0: none).
  std::uint64_t first_file_ns = 0;
  std::uint64_t end_ns = 0;
};

// URL mode.
[[nodiscard]] Counts run(RecordReader& input, RecordWriter& output, FileDigester& digester,
                         const std::string& algorithm, const Logger& logger);

// Directory mode: H, L, S and F records pass through.
[[nodiscard]] Counts run_groups(RecordReader& input, RecordWriter& output, GroupHasher& hasher,
                                const Logger& logger);

}  // namespace dupipe::hasher
