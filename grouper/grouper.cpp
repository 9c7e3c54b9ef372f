#include "grouper/grouper.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "common/os/signals.hpp"
#include "common/os/sys.hpp"
#include "common/protocol/record_codec.hpp"
#include "common/transport/pending_acknowledgements.hpp"

namespace dupipe::grouper {
namespace {

void pause_for_test(const std::string& dir, const Logger& logger) {
  value_or_fatal(sys::write_file_atomically(dir + "/paused", ""));
  logger.info("test hook: paused until " + dir + "/resume exists");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  struct stat st {};
  while (::stat((dir + "/resume").c_str(), &st) != 0) {
    if (std::chrono::steady_clock::now() > deadline)
      throw FatalError(dir + "/resume did not appear within 30 s");
    sys::sleep_unless_stopped(std::chrono::milliseconds(10));  // Interrupted at once on a stop
  }
}

void write_stat(RecordWriter& output, const std::string& name, std::uint64_t value) {
  write_record(output, StatRecord{"grouper", name, value});
}

void write_links_and_stats(const SizeGrouping& grouping, BatchingWriter& output,
                           const Logger& logger) {
  for (const LinkRecord& link : grouping.links) {
    // Two long names may not fit one record; the link is then only logged, never fatal.
    if (auto line = format_record(link)) {
      output.write_line(*line);
    } else {
      logger.warning(link.path + ": hard link of " + link.target +
                     " not reported: " + line.error().message);
    }
  }
  write_stat(output, "files", grouping.files);
  write_stat(output, "unique_size", grouping.unique_size);
  write_stat(output, "empty", grouping.empty);
  write_stat(output, "repeated_names", grouping.repeated_names);
}

void write_group(const std::vector<DirectoryFileRecord>& candidates, const PlannedGroup& group,
                 BatchingWriter& output) {
  throw_if_stopped();
  write_record(output, GroupRecord{candidates[group.begin].size, group.end - group.begin});
  for (std::size_t i = group.begin; i < group.end; ++i) write_record(output, candidates[i]);
}

// Packets a hasher's link holds when groups are handed out on demand: enough that a hasher does
// not wait for the grouper's thread to be scheduled on a loaded machine, few enough that little
// work is promised to one hasher while another could take it.
constexpr std::size_t kQueuedBatches = 4;

// On demand: once its hasher has taken a batch (a slot of its link is free), an output takes the
// next groups of the plan, most work first, until the batch holds 1 MiB of work or half a packet
// of records. So each hasher gets new work as it is ready for it, and at most kQueuedBatches
// batches wait for it beyond the one it is working on.
void serve_on_demand(const std::vector<DirectoryFileRecord>& candidates,
                     const std::vector<PlannedGroup>& plan, std::atomic<std::size_t>& next,
                     BatchingWriter& output) {
  QueueControl& queue = *output.queue_control();  // on demand only where every output has one
  while (true) {
    queue.wait_writable();
    std::uint64_t work = 0;
    while (work < BatchingWriter::kMaxBatchWorkBytes &&
           output.pending_bytes() < kMaxRecordBytes / 2) {
      const std::size_t i = next.fetch_add(1);
      if (i >= plan.size()) return output.flush();
      write_group(candidates, plan[i], output);
      work += plan[i].work_bytes;
    }
    output.flush();
  }
}

// Where an output cannot wait for its reader (not a FIFO): the plan's own assignment, in plan
// order; the batch is cut after a group once it holds 1 MiB of work, so the hasher starts on a
// large group without waiting for the batch to fill.
void serve_planned(const std::vector<DirectoryFileRecord>& candidates,
                   const std::vector<PlannedGroup>& plan, std::size_t link,
                   BatchingWriter& output) {
  for (const PlannedGroup& group : plan) {
    if (group.link != link) continue;
    write_group(candidates, group, output);
    output.add_work(group.work_bytes);
  }
  output.flush();
}

// Writes what the size barrier found: links and counts first, the groups after the optional
// test pause, each output by a thread of its own (a FatalError of one is rethrown here), so a
// hasher busy with a large group never holds up the others.
std::uint64_t finish(std::vector<DirectoryFileRecord> files, const Config& config,
                     const std::vector<BatchingWriter*>& outputs, bool is_on_demand,
                     const Logger& logger) {
  const SizeGrouping grouping = group_by_size(std::move(files), config.size);
  write_links_and_stats(grouping, *outputs.front(), logger);
  outputs.front()->flush();  // everything but the candidates is out before the test pause
  if (!config.pause_dir.empty()) pause_for_test(config.pause_dir, logger);
  const std::vector<PlannedGroup> plan = plan_links(grouping.candidates, outputs.size());
  std::atomic<std::size_t> next{0};
  std::vector<std::future<void>> writers;
  for (std::size_t link = 0; link < outputs.size(); ++link) {
    writers.push_back(
        is_on_demand
            ? std::async(std::launch::async, serve_on_demand, std::cref(grouping.candidates),
                         std::cref(plan), std::ref(next), std::ref(*outputs[link]))
            : std::async(std::launch::async, serve_planned, std::cref(grouping.candidates),
                         std::cref(plan), link, std::ref(*outputs[link])));
  }
  for (auto& writer : writers) writer.get();
  logger.info(std::to_string(grouping.unique_size) + " files of unique size not read, " +
              std::to_string(grouping.links.size()) + " hard links, " +
              std::to_string(plan.size()) + " size groups over " + std::to_string(outputs.size()) +
              " hashers" + (is_on_demand ? ", on demand" : ", as planned"));
  return grouping.candidates.size();
}

bool is_passed_through(const Record& record) {
  return std::holds_alternative<FailureRecord>(record) ||
         std::holds_alternative<DigestRecord>(record) ||
         std::holds_alternative<LinkRecord>(record) || std::holds_alternative<StatRecord>(record);
}

}  // namespace

Counts run(RecordReader& input, const std::vector<BatchingWriter*>& outputs, const Config& config,
           const Logger& logger) {
  Counts counts;
  // Before anything is written: with one packet per link, a hasher gets work when it asks.
  const bool is_on_demand =
      outputs.size() > 1 && std::all_of(outputs.begin(), outputs.end(), [](BatchingWriter* output) {
        QueueControl* queue = output->queue_control();
        return queue != nullptr && queue->shrink_queue(kQueuedBatches);
      });
  std::vector<DirectoryFileRecord> files;
  // Acknowledged once finish() has written (and flushed) what was derived from them.
  PendingAcknowledgements file_tags(input);
  while (const auto delivery = input.read()) {
    throw_if_stopped();
    auto record = parse_record(delivery->line);
    if (!record)
      throw FatalError(input.name() + ": " + record.error().message, ExitCode::kProtocol);
    if (auto* file = std::get_if<DirectoryFileRecord>(&*record)) {
      ++counts.received;
      files.push_back(std::move(*file));
      file_tags.add(delivery->tag);
    } else if (is_passed_through(*record)) {
      ++counts.passed_through;
      write_record(*outputs.front(), *record);
      file_tags.add(delivery->tag);  // batched: in the link once finish() has flushed
    } else {
      throw FatalError(input.name() + ": a grouper takes W, H, L, S and F records only",
                       ExitCode::kProtocol);
    }
  }
  counts.candidates = finish(std::move(files), config, outputs, is_on_demand, logger);
  file_tags.acknowledge_all();
  return counts;
}

}  // namespace dupipe::grouper
