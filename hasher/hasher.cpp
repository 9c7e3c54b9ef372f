#include "hasher/hasher.hpp"

#include <vector>

#include "common/observe/stage_stats.hpp"
#include "common/os/signals.hpp"
#include "common/transport/pending_acknowledgements.hpp"

namespace dupipe::hasher {
namespace {

Record hash_one(const FileRecord& file, FileDigester& digester, const std::string& algorithm) {
  auto digest = digester.digest_file(file.path);
  if (!digest)
    return FailureRecord{file.id, file.url, Stage::kHasher,
                         file.path + ": " + digest.error().message};
  if (digest->size != file.size) {
    return FailureRecord{file.id, file.url, Stage::kHasher,
                         file.path + ": size changed: expected " + std::to_string(file.size) +
                             " bytes, read " + std::to_string(digest->size)};
  }
  return DigestRecord{file.id,      file.url,  file.path,
                      digest->size, algorithm, std::move(digest->hex)};
}

void count_result(const Record& result, Counts& counts, const Logger& logger) {
  if (const auto* failure = std::get_if<FailureRecord>(&result)) {
    ++counts.failed;
    logger.warning(failure->error);
  } else {
    ++counts.hashed;
  }
}

// What later stages need from earlier ones: hard links, counts, failures (and H records, which
// no stage before the hashers makes today but a stand-in may).
bool is_passed_through_in_groups(const Record& record) {
  return std::holds_alternative<FailureRecord>(record) ||
         std::holds_alternative<DigestRecord>(record) ||
         std::holds_alternative<LinkRecord>(record) || std::holds_alternative<StatRecord>(record);
}

void write_group_stats(RecordWriter& output, const GroupCounts& counts) {
  write_record(output, StatRecord{"hasher", "full_bytes", counts.full_bytes});
  write_record(output, StatRecord{"hasher", "partial_bytes", counts.partial_bytes});
  write_record(output, StatRecord{"hasher", "unique_partial", counts.unique_partial});
}

}  // namespace

Counts run(RecordReader& input, RecordWriter& output, FileDigester& digester,
           const std::string& algorithm, const Logger& logger) {
  Counts counts;
  while (const auto delivery = input.read()) {
    throw_if_stopped();
    auto record = parse_record(delivery->line);
    if (!record)
      throw FatalError(input.name() + ": " + record.error().message, ExitCode::kProtocol);
    if (const auto* file = std::get_if<FileRecord>(&*record)) {
      const Record result = hash_one(*file, digester, algorithm);
      count_result(result, counts, logger);
      write_record(output, result);
    } else if (std::holds_alternative<FailureRecord>(*record)) {
      ++counts.passed_through;
      write_record(output, *record);
    } else {
      throw FatalError(input.name() + ": a hasher takes P and F records only", ExitCode::kProtocol);
    }
    input.acknowledge(delivery->tag);  // its H or F record is written
  }
  counts.end_ns = monotonic_ns();
  return counts;
}

Counts run_groups(RecordReader& input, RecordWriter& output, GroupHasher& hasher,
                  const Logger& logger) {
  Counts counts;
  std::vector<Record> results;
  // A group's G and L records are acknowledged once the group's results are out: the hasher
  // compares a group's files with each other, so it writes them when the group is complete.
  PendingAcknowledgements group_tags(input);
  while (const auto delivery = input.read()) {
    throw_if_stopped();
    auto record = parse_record(delivery->line);
    if (!record)
      throw FatalError(input.name() + ": " + record.error().message, ExitCode::kProtocol);
    if (const auto* group = std::get_if<GroupRecord>(&*record)) {
      if (counts.first_file_ns == 0) counts.first_file_ns = monotonic_ns();
      hasher.begin(*group);
      group_tags.add(delivery->tag);
      if (!hasher.is_inside_group()) group_tags.acknowledge_all();  // an empty group
    } else if (const auto* file = std::get_if<DirectoryFileRecord>(&*record)) {
      results.clear();
      group_tags.add(delivery->tag);
      hasher.add(*file, results);
      for (const Record& result : results) {
        count_result(result, counts, logger);
        write_record(output, result);
      }
      if (!hasher.is_inside_group()) group_tags.acknowledge_all();
    } else if (is_passed_through_in_groups(*record)) {
      ++counts.passed_through;
      write_record(output, *record);
      input.acknowledge(delivery->tag);
    } else {
      throw FatalError(
          input.name() + ": a directory-mode hasher takes G, W, H, L, S and F records only",
          ExitCode::kProtocol);
    }
  }
  if (hasher.is_inside_group())
    throw FatalError(input.name() + ": input ended inside a group", ExitCode::kProtocol);
  counts.end_ns = monotonic_ns();
  counts.group = hasher.counts();
  write_group_stats(output, counts.group);
  return counts;
}

}  // namespace dupipe::hasher
