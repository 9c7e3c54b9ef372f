// The producer's recovery ledger: what is accounted is not sent, what was sent before a restart
// is not sent twice, the manifest lists everything sent, a finished download goes on as its P
// record while its file is intact.
#include "producer/recovery_ledger.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/memory_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::producer {
namespace {

using testing::formatted;
using testing::read_file;
using testing::TempDir;

struct Sent {
  std::vector<std::string> lines;
  LedgerCounts counts;
};

Sent send_through(const LedgerFiles& files, const std::vector<std::string>& lines) {
  auto memory = std::make_unique<MemoryWriter>();
  auto* sink = memory.get();
  LedgerWriter ledger(std::move(memory), files);
  for (const auto& line : lines) ledger.write_line(line);
  return {sink->lines, ledger.counts()};
}

std::string url(const std::string& id) { return formatted(UrlRecord{id, "http://h/" + id}); }

TEST(RecoveryLedger, SkipsWhatTheAggregatorAccountedAndListsTheRestInTheManifest) {
  const TempDir dir;
  LedgerFiles files{dir.file("journal"), dir.file("manifest"), ""};
  testing::write_file(files.done,
                      formatted(DigestRecord{"a", "http://h/a", "/f/a", 1, "sha256", "d"}) + "\n" +
                          formatted(FailureRecord{"b", "http://h/b", Stage::kFetcher, "HTTP 404"}) +
                          "\n");
  const Sent sent = send_through(files, {url("a"), url("b"), url("c")});
  EXPECT_EQ(sent.lines, std::vector<std::string>{url("c")});
  EXPECT_EQ(sent.counts.already_done, 2U);
  EXPECT_EQ(read_file(files.manifest), url("c") + "\n");
}

TEST(RecoveryLedger, ARestartedProducerDoesNotSendTwiceButStillSendsEveryRejectedLine) {
  const TempDir dir;
  LedgerFiles files{"", dir.file("manifest"), ""};
  const auto repeat2 =
      formatted(FailureRecord{"a", "http://h/a", Stage::kProducer, "line 2: repeat of line 1"});
  const auto repeat3 =
      formatted(FailureRecord{"a", "http://h/a", Stage::kProducer, "line 3: repeat of line 1"});
  (void)send_through(files, {url("a"), repeat2});  // killed here
  const Sent again = send_through(files, {url("a"), repeat2, repeat3, url("b")});
  EXPECT_EQ(again.lines, (std::vector<std::string>{repeat3, url("b")}));
  EXPECT_EQ(again.counts.already_sent, 2U);
}

TEST(RecoveryLedger, SendsAFinishedDownloadAsItsFileRecordWhileTheFileIsIntact) {
  const TempDir dir;
  LedgerFiles files{"", "", dir.file("fetched")};
  testing::write_file(dir.file("a.bin"), "1234");
  testing::write_file(dir.file("b.bin"), "12");  // truncated since: fetch again
  const auto file_a = formatted(FileRecord{"a", "http://h/a", dir.file("a.bin"), 4});
  const auto file_b = formatted(FileRecord{"b", "http://h/b", dir.file("b.bin"), 4});
  testing::write_file(files.fetched, file_a + "\n" + file_b + "\n");
  const Sent sent = send_through(files, {url("a"), url("b")});
  EXPECT_EQ(sent.lines, (std::vector<std::string>{file_a, url("b")}));
  EXPECT_EQ(sent.counts.downloads_reused, 1U);
}

}  // namespace
}  // namespace dupipe::producer
