#include "producer/recovery_ledger.hpp"

#include <sys/stat.h>

#include <utility>
#include <variant>

#include "common/protocol/records.hpp"

namespace dupipe::producer {
namespace {

// A P record whose file is still there, a regular file of the size it had when it was done.
bool file_is_intact(std::string_view p_line) {
  const auto record = parse_record(p_line);
  if (!record) return false;
  const auto* file = std::get_if<FileRecord>(&*record);
  struct stat status {};
  return file != nullptr && ::lstat(file->path.c_str(), &status) == 0 && S_ISREG(status.st_mode) &&
         static_cast<std::uint64_t>(status.st_size) == file->size;
}

}  // namespace

LedgerWriter::LedgerWriter(std::unique_ptr<RecordWriter> output, const LedgerFiles& files)
    : output_(std::move(output)) {
  if (!files.done.empty()) done_ = journal_keys(files.done);
  if (!files.fetched.empty()) {
    read_journal(files.fetched, [&](std::string_view line) {
      if (line.starts_with("P\t"))
        fetched_by_id_.insert_or_assign(std::string(record_id_of(line)), line);
    });
  }
  if (!files.manifest.empty()) {
    manifest_ = RecordJournal::open(
        files.manifest, [&](std::string_view line) { sent_.insert(accounting_key(line)); });
  }
}

std::optional<std::string> LedgerWriter::downloaded_file_for(std::string_view url_line) const {
  if (!url_line.starts_with("U\t")) return std::nullopt;
  const auto found = fetched_by_id_.find(std::string(record_id_of(url_line)));
  if (found == fetched_by_id_.end() || !file_is_intact(found->second)) return std::nullopt;
  return found->second;
}

void LedgerWriter::write_line(std::string_view line) {
  const std::string key = accounting_key(line);
  if (done_.contains(key)) {
    ++counts_.already_done;
    return;
  }
  if (sent_.contains(key)) {
    ++counts_.already_sent;
    return;
  }
  const auto reused = downloaded_file_for(line);
  const std::string_view to_send = reused ? std::string_view(*reused) : line;
  counts_.downloads_reused += reused ? 1 : 0;
  // The manifest first: a producer killed between the two lines leaves a record the aggregator
  // will miss (and the launcher re-feed), never one sent but unlisted.
  if (manifest_) manifest_->append(to_send);
  sent_.insert(key);
  output_->write_line(to_send);
}

}  // namespace dupipe::producer
