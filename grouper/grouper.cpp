#include "grouper/grouper.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "common/signals.hpp"
#include "common/sys.hpp"

namespace dupipe::grouper {
namespace {

void pause_for_test(const std::string& dir, const Logger& logger) {
  if (auto ok = sys::write_file_atomically(dir + "/paused", ""); !ok) throw FatalError(ok.error().message);
  logger.info("test hook: paused until " + dir + "/resume exists");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  struct stat st {};
  while (::stat((dir + "/resume").c_str(), &st) != 0) {
    throw_if_stopped();
    if (std::chrono::steady_clock::now() > deadline) throw FatalError(dir + "/resume did not appear within 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void write_stat(RecordWriter& output, const std::string& name, std::uint64_t value) {
  write_record(output, StatRecord{"grouper", name, value});
}

// Writes what the size barrier found; the candidates last, after the optional test pause.
std::uint64_t finish_by_size(std::vector<LocalFileRecord> files, const Config& config,
                             BatchingWriter& output, const Logger& logger) {
  SizeGrouping grouping = group_by_size(std::move(files), config.size);
  for (const LinkRecord& link : grouping.links) {
    // Two long names may not fit one record; the link is then only logged, never fatal.
    if (auto line = format_record(link)) {
      output.write_line(*line);
    } else {
      logger.warning(link.path + ": hard link of " + link.target + " not reported: " + line.error().message);
    }
  }
  write_stat(output, "files", grouping.files);
  write_stat(output, "unique_size", grouping.unique_size);
  write_stat(output, "empty", grouping.empty);
  write_stat(output, "repeated_names", grouping.repeated_names);
  output.flush();  // everything but the candidates is out before the test pause
  if (!config.pause_dir.empty()) pause_for_test(config.pause_dir, logger);
  for (const LocalFileRecord& file : grouping.candidates) {
    write_record(output, file);
    // What a partial hasher reads of it: small files whole, the others 2 x 4 KiB
    // (hasher/local_file_hasher.hpp, kWholeFileBytes and kEdgeBytes).
    output.add_work(std::min<std::uint64_t>(file.size, 64 * 1024));
  }
  logger.info(std::to_string(grouping.unique_size) + " files of unique size not read, " +
              std::to_string(grouping.links.size()) + " hard links");
  return grouping.candidates.size();
}

std::uint64_t finish_by_partial(std::vector<LocalFileRecord> files, BatchingWriter& output,
                                const Logger& logger) {
  PartialGrouping grouping = group_by_partial(std::move(files));
  write_stat(output, "unique_partial", grouping.unique_partial);
  for (const LocalFileRecord& file : grouping.candidates) {
    write_record(output, file);
    output.add_work(file.size);  // a full hasher reads all of it
  }
  logger.info(std::to_string(grouping.unique_partial) + " files ruled out by their first and last bytes");
  return grouping.candidates.size();
}

bool is_passed_through(const Record& record) {
  return std::holds_alternative<FailureRecord>(record) || std::holds_alternative<DigestRecord>(record) ||
         std::holds_alternative<LinkRecord>(record) || std::holds_alternative<StatRecord>(record);
}

}  // namespace

Counts run(RecordReader& input, BatchingWriter& output, const Config& config, const Logger& logger) {
  Counts counts;
  std::vector<LocalFileRecord> files;
  while (const auto line = input.read_line()) {
    throw_if_stopped();
    auto record = parse_record(*line);
    if (!record) throw FatalError(input.name() + ": " + record.error().message, ExitCode::kProtocol);
    if (auto* file = std::get_if<LocalFileRecord>(&*record)) {
      ++counts.received;
      files.push_back(std::move(*file));
    } else if (is_passed_through(*record)) {
      ++counts.passed_through;
      write_record(output, *record);
    } else {
      throw FatalError(input.name() + ": a grouper takes W, H, L, S and F records only", ExitCode::kProtocol);
    }
    input.acknowledge();
  }
  counts.candidates = config.by == GroupBy::kSize ? finish_by_size(std::move(files), config, output, logger)
                                                  : finish_by_partial(std::move(files), output, logger);
  output.flush();
  return counts;
}

}  // namespace dupipe::grouper
