#include "common/protocol/record_journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "common/base/error.hpp"
#include "common/os/sys.hpp"

namespace dupipe {
namespace {

[[noreturn]] void fail_on(const std::string& path, const std::string& what) {
  throw FatalError("journal " + path + ": " + what, errno);
}

std::string read_whole(int fd, const std::string& path) {
  std::string contents;
  char buffer[1 << 16];
  // The journal is the stage's own state: a failure to read it stops the stage.
  while (const std::size_t got = value_or_fatal(sys::read_some(fd, buffer, "journal " + path))) {
    contents.append(buffer, got);
  }
  return contents;
}

// Visits the complete lines of `contents`; returns the length of that complete prefix.
std::size_t visit_lines(std::string_view contents, const RecordJournal::LineVisitor& visit) {
  std::size_t start = 0;
  while (start < contents.size()) {
    const std::size_t end = contents.find('\n', start);
    if (end == std::string_view::npos) break;
    if (visit && end > start) visit(contents.substr(start, end - start));
    start = end + 1;
  }
  return start;
}

}  // namespace

RecordJournal RecordJournal::open(const std::string& path, const LineVisitor& visit) {
  auto fd = sys::open_file(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW, 0600);
  if (!fd) throw FatalError(Error{"journal " + fd.error().message, fd.error().errnum});
  const std::string contents = read_whole(fd->get(), path);
  const std::size_t complete = visit_lines(contents, visit);
  if (complete != contents.size() && ::ftruncate(fd->get(), static_cast<off_t>(complete)) != 0) {
    fail_on(path, "cannot cut off the torn last line");
  }
  return RecordJournal(path, std::move(*fd));
}

void RecordJournal::append(std::string_view line) {
  std::string bytes;
  bytes.reserve(line.size() + 1);
  bytes.append(line).push_back('\n');
  value_or_fatal(sys::write_all(fd_.get(), bytes, "journal " + path_));
}

void RecordJournal::sync() {
  if (::fsync(fd_.get()) != 0) fail_on(path_, "fsync");
}

void read_journal(const std::string& path, const RecordJournal::LineVisitor& visit) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0 && errno == ENOENT) return;
  auto fd = sys::open_file(path, O_RDONLY);
  if (!fd) throw FatalError(Error{"journal " + fd.error().message, fd.error().errnum});
  visit_lines(read_whole(fd->get(), path), visit);
}

std::unordered_set<std::string> journal_ids(const std::string& path) {
  std::unordered_set<std::string> ids;
  read_journal(path, [&](std::string_view line) {
    if (const auto id = record_id_of(line); !id.empty()) ids.emplace(id);
  });
  return ids;
}

std::string_view record_id_of(std::string_view line) {
  const std::size_t first_tab = line.find('\t');
  if (first_tab == std::string_view::npos) return {};
  const std::size_t second_tab = line.find('\t', first_tab + 1);
  return line.substr(first_tab + 1, second_tab == std::string_view::npos
                                        ? std::string_view::npos
                                        : second_tab - first_tab - 1);
}

std::string accounting_key(std::string_view line) {
  const std::string id(record_id_of(line));
  if (!line.starts_with("F\t")) return id;
  std::string_view rest = line;
  for (int field = 0; field < 3; ++field) {  // skip tag, id and url
    const std::size_t tab = rest.find('\t');
    if (tab == std::string_view::npos) return id;
    rest.remove_prefix(tab + 1);
  }
  if (!rest.starts_with("producer\t")) return id;
  rest.remove_prefix(std::string_view("producer\t").size());
  return id + "\treject\t" + std::string(rest);
}

std::unordered_set<std::string> journal_keys(const std::string& path) {
  std::unordered_set<std::string> keys;
  read_journal(path, [&](std::string_view line) { keys.insert(accounting_key(line)); });
  return keys;
}

}  // namespace dupipe
