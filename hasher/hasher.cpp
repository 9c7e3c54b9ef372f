#include "hasher/hasher.hpp"

#include "common/signals.hpp"
#include "common/stage_stats.hpp"

namespace dupipe::hasher {
namespace {

Record hash_one(const FileRecord& file, FileDigester& digester, const std::string& algorithm) {
  auto digest = digester.digest_file(file.path);
  if (!digest) return FailureRecord{file.id, file.url, Stage::kHasher, file.path + ": " + digest.error().message};
  if (digest->size != file.size) {
    return FailureRecord{file.id, file.url, Stage::kHasher,
                         file.path + ": size changed: expected " + std::to_string(file.size) +
                             " bytes, read " + std::to_string(digest->size)};
  }
  return DigestRecord{file.id, file.url, file.path, digest->size, algorithm, std::move(digest->hex)};
}

void count_result(const Record& result, Counts& counts, const Logger& logger) {
  if (const auto* failure = std::get_if<FailureRecord>(&result)) {
    ++counts.failed;
    logger.warning(failure->error);
  } else {
    ++counts.hashed;
  }
}

void count_bytes(const Record& result, Counts& counts) {
  if (const auto* digest = std::get_if<DigestRecord>(&result)) counts.full_bytes += digest->size;
  if (std::holds_alternative<LocalFileRecord>(result)) counts.partial_bytes += 2 * kEdgeBytes;
}

// F records always; in directory mode also what later stages need: digests made early by the
// partial hashers (small files), hard links and counts.
bool is_passed_through(const Record& record, HashMode mode) {
  if (std::holds_alternative<FailureRecord>(record)) return true;
  return mode != HashMode::kUrl && (std::holds_alternative<DigestRecord>(record) ||
                                    std::holds_alternative<LinkRecord>(record) ||
                                    std::holds_alternative<StatRecord>(record));
}

}  // namespace

Counts run(RecordReader& input, RecordWriter& output, FileDigester& digester,
           const std::string& algorithm, const Logger& logger, HashMode mode, RecordWriter* digests) {
  Counts counts;
  while (const auto line = input.read_line()) {
    throw_if_stopped();
    auto record = parse_record(*line);
    if (!record) throw FatalError(input.name() + ": " + record.error().message, ExitCode::kProtocol);
    if (const auto* file = std::get_if<FileRecord>(&*record)) {
      const Record result = hash_one(*file, digester, algorithm);
      count_result(result, counts, logger);
      write_record(output, result);
    } else if (mode != HashMode::kUrl && std::holds_alternative<LocalFileRecord>(*record)) {
      if (counts.first_file_ns == 0) counts.first_file_ns = monotonic_ns();
      const Record result = hash_local_file(std::get<LocalFileRecord>(*record), mode, digester, algorithm);
      count_result(result, counts, logger);
      count_bytes(result, counts);
      // A final digest skips the later stages when there is a direct link to the aggregator.
      write_record(digests != nullptr && std::holds_alternative<DigestRecord>(result) ? *digests : output, result);
    } else if (is_passed_through(*record, mode)) {
      ++counts.passed_through;
      write_record(output, *record);
    } else {
      throw FatalError(input.name() + (mode == HashMode::kUrl ? ": a hasher takes P and F records only"
                                                              : ": a directory-mode hasher takes W, H, L, S and F records only"),
                       ExitCode::kProtocol);
    }
    input.acknowledge();
  }
  counts.end_ns = monotonic_ns();
  if (mode != HashMode::kUrl) {
    write_record(output, StatRecord{"hasher", "full_bytes", counts.full_bytes});
    write_record(output, StatRecord{"hasher", "partial_bytes", counts.partial_bytes});
  }
  return counts;
}

}  // namespace dupipe::hasher
