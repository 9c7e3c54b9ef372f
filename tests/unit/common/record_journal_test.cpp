// The recovery journals: replay in order, a torn last line cut off, accounting keys that tell a
// URL's settlement apart from each rejected input line.
#include "common/protocol/record_journal.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/test_support.hpp"

namespace dupipe {
namespace {

using testing::read_file;
using testing::TempDir;

std::vector<std::string> replay(const std::string& path) {
  std::vector<std::string> lines;
  (void)RecordJournal::open(path, [&](std::string_view line) { lines.emplace_back(line); });
  return lines;
}

TEST(RecordJournal, ReplaysWhatWasAppendedInOrder) {
  const TempDir dir;
  const std::string path = dir.file("journal");
  {
    auto journal = RecordJournal::open(path);
    journal.append("U\ta\thttp://h/a");
    journal.append("U\tb\thttp://h/b");
    journal.sync();
  }
  EXPECT_EQ(replay(path), (std::vector<std::string>{"U\ta\thttp://h/a", "U\tb\thttp://h/b"}));
}

TEST(RecordJournal, CutsOffATornLastLineBeforeAppending) {
  const TempDir dir;
  const std::string path = dir.file("journal");
  testing::write_file(path, "U\ta\thttp://h/a\nU\tb\thttp://h/");
  auto journal = RecordJournal::open(path);
  journal.append("U\tc\thttp://h/c");
  EXPECT_EQ(read_file(path), "U\ta\thttp://h/a\nU\tc\thttp://h/c\n");
}

TEST(RecordJournal, AMissingJournalHasNoLinesButAnUnreadableOneIsAnError) {
  const TempDir dir;
  EXPECT_TRUE(journal_ids(dir.file("absent")).empty());
  EXPECT_THROW(read_journal(dir.path().string(), {}), FatalError);  // a directory
}

TEST(RecordJournal, RefusesToFollowASymlink) {
  const TempDir dir;
  testing::write_file(dir.file("target"), "");
  std::filesystem::create_symlink(dir.file("target"), dir.file("link"));
  EXPECT_THROW((void)RecordJournal::open(dir.file("link")), FatalError);
}

TEST(RecordJournal, AccountingKeysSettleUrlsByIdAndRejectionsByLine) {
  EXPECT_EQ(accounting_key("U\tab\thttp://h/a"), "ab");
  EXPECT_EQ(accounting_key("H\tab\thttp://h/a\t/p\t4\tsha256\td"), "ab");
  EXPECT_EQ(accounting_key("F\tab\thttp://h/a\tfetcher\tHTTP 404"), "ab");
  EXPECT_EQ(accounting_key("F\tab\thttp://h/a\tproducer\tline 2: repeat of line 1"),
            "ab\treject\tline 2: repeat of line 1");
  EXPECT_NE(accounting_key("F\tab\tu\tproducer\tline 2: x"),
            accounting_key("F\tab\tu\tproducer\tline 3: x"));
  EXPECT_EQ(record_id_of("http://bare/"), "");
  EXPECT_EQ(journal_keys("/nonexistent/dupipe/journal").size(), 0U);
}

}  // namespace
}  // namespace dupipe
