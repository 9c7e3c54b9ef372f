#include "hasher/hasher.hpp"

#include "common/signals.hpp"

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

}  // namespace

Counts run(RecordReader& input, RecordWriter& output, FileDigester& digester,
           const std::string& algorithm, const Logger& logger) {
  Counts counts;
  while (const auto line = input.read_line()) {
    throw_if_stopped();
    auto record = parse_record(*line);
    if (!record) throw FatalError(input.name() + ": " + record.error().message, ExitCode::kProtocol);
    if (const auto* file = std::get_if<FileRecord>(&*record)) {
      const Record result = hash_one(*file, digester, algorithm);
      if (const auto* failure = std::get_if<FailureRecord>(&result)) {
        ++counts.failed;
        logger.warning(failure->error);
      } else {
        ++counts.hashed;
      }
      write_record(output, result);
    } else if (std::holds_alternative<FailureRecord>(*record)) {
      ++counts.passed_through;
      write_record(output, *record);
    } else {
      throw FatalError(input.name() + ": a hasher takes P and F records only", ExitCode::kProtocol);
    }
    input.acknowledge();
  }
  return counts;
}

}  // namespace dupipe::hasher
