// Append-only journals of protocol lines: the recovery bookkeeping of a supervised run (the
// producer's manifest of what it sent, the fetchers' list of finished downloads, the aggregator's
// list of what it accounted). A journal survives kill -9 of its writer: each line is appended with
// one write(2) on an O_APPEND descriptor, so concurrent appenders never interleave inside a line
// and a dead writer leaves at most one torn last line, which the next open() cuts off.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/os/unique_fd.hpp"
#include "common/transport/endpoint.hpp"

namespace dupipe {

class RecordJournal {
 public:
  using LineVisitor = std::function<void(std::string_view line)>;

  // Opens (creating, mode 0600) the journal at `path`, drops a torn last line, and calls `visit`
  // for every complete line already there, in order. Throws FatalError naming the path.
  static RecordJournal open(const std::string& path, const LineVisitor& visit = {});

  // Appends `line` plus LF in one write. Throws FatalError naming the path (e.g. ENOSPC).
  void append(std::string_view line);
  // fsync: what was appended survives a crash of the machine, not only of the process.
  void sync();

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  RecordJournal(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  std::string path_;
  UniqueFd fd_;
};

// A RecordWriter that appends the lines with a given tag (e.g. "P\t") to a journal before
// passing every line on: what is passed on is journaled, so a restart can rely on the journal.
class JournalingWriter final : public RecordWriter {
 public:
  JournalingWriter(std::unique_ptr<RecordWriter> output, RecordJournal journal, std::string tag)
      : output_(std::move(output)), journal_(std::move(journal)), tag_(std::move(tag)) {}

  void write_line(std::string_view line) override {
    if (line.starts_with(tag_)) journal_.append(line);
    output_->write_line(line);
  }
  [[nodiscard]] const std::string& name() const override { return output_->name(); }

 private:
  std::unique_ptr<RecordWriter> output_;
  RecordJournal journal_;
  std::string tag_;
};

// Calls `visit` for every complete line of the journal at `path`; a missing file has none.
// Throws FatalError naming the path when it exists but cannot be read.
void read_journal(const std::string& path, const RecordJournal::LineVisitor& visit);

// The record ids (second TAB-separated field) of every line of the journal at `path`.
[[nodiscard]] std::unordered_set<std::string> journal_ids(const std::string& path);

// The id field of a protocol line, or empty for a line without one (a bare URL).
[[nodiscard]] std::string_view record_id_of(std::string_view line);

// What a record settles, for end-to-end accounting: a URL's id for U, P, H and a later stage's F
// records (any of them settles the URL), but the id plus the reason for a producer's F record,
// because every rejected input line is reported, repeats of an accepted URL included (same id).
[[nodiscard]] std::string accounting_key(std::string_view line);

// The accounting keys of every line of the journal at `path`.
[[nodiscard]] std::unordered_set<std::string> journal_keys(const std::string& path);

}  // namespace dupipe
