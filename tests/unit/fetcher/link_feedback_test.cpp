// Crawl feedback: a fetched text/html page sends its links (resolved against the URL it came
// from after redirects) and then its D record; any other type, and a failure, sends only the D
// record; through the stage loop, the page's P or F record goes downstream first.
#include "fetcher/link_feedback.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "fetcher/fetcher.hpp"
#include "tests/support/memory_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::fetcher {
namespace {

using testing::CapturedLog;
using testing::formatted;
using testing::parsed;
using testing::TempDir;
using testing::write_file;

std::vector<Record> records_of(const MemoryWriter& writer) {
  std::vector<Record> records;
  for (const std::string& line : writer.lines) records.push_back(parsed(line));
  return records;
}

constexpr std::string_view kPage =
    "<html><body><a href='b.html'>b</a> <!-- <a href='hidden'> --> <img src=' /i.png '>"
    "<script>var u = '<a href=\"s.html\">';</script></body></html>";

TEST(LinkFeedback, SendsTheLinksOfAnHtmlPageThenItsDoneRecord) {
  TempDir dir;
  write_file(dir.file("page"), kPage);
  MemoryWriter links;
  CapturedLog log("fetcher");
  LinkFeedback feedback(links, {}, log.logger());
  // Redirected from /old to /dir/: links resolve against where the page really is.
  feedback.page_fetched(UrlRecord{"p1", "http://h.test/old"},
                        DownloadedFile{dir.file("page"), kPage.size(), "text/html; charset=utf-8",
                                       "http://h.test/dir/"});
  const auto records = records_of(links);
  ASSERT_EQ(records.size(), 3U) << log.text();
  EXPECT_EQ(std::get<FoundLinkRecord>(records[0]).url, "http://h.test/dir/b.html");
  EXPECT_EQ(std::get<FoundLinkRecord>(records[0]).page_id, "p1");
  EXPECT_EQ(std::get<FoundLinkRecord>(records[1]).url, "http://h.test/i.png");
  const auto& done = std::get<PageDoneRecord>(records[2]);
  EXPECT_EQ(done.page_id, "p1");
  EXPECT_EQ(done.links, 2U);
  EXPECT_EQ(done.outcome, PageOutcome::kFetched);
  // The page's content digest (XXH3-64 of its bytes), the same for the same bytes anywhere.
  EXPECT_EQ(done.content.size(), 16U);
  write_file(dir.file("copy"), kPage);
  feedback.page_fetched(UrlRecord{"p2", "http://h.test/copy"},
                        DownloadedFile{dir.file("copy"), kPage.size(), "text/html", ""});
  EXPECT_EQ(std::get<PageDoneRecord>(records_of(links).back()).content, done.content);
}

TEST(LinkFeedback, FollowsNothingInABodyThatIsNotHtml) {
  TempDir dir;
  write_file(dir.file("page.html"), kPage);  // its name says HTML, its type does not
  MemoryWriter links;
  CapturedLog log("fetcher");
  LinkFeedback feedback(links, {}, log.logger());
  feedback.page_fetched(UrlRecord{"p1", "http://h.test/page.html"},
                        DownloadedFile{dir.file("page.html"), kPage.size(), "text/plain", ""});
  ASSERT_EQ(links.lines, std::vector<std::string>{
                             formatted(PageDoneRecord{"p1", 0, PageOutcome::kFetched, ""})});
}

TEST(LinkFeedback, WritesAFailedPageAsDoneWithoutLinks) {
  MemoryWriter links;
  CapturedLog log("fetcher");
  LinkFeedback feedback(links, {}, log.logger());
  feedback.page_failed(UrlRecord{"p1", "http://h.test/gone"});
  ASSERT_EQ(links.lines,
            std::vector<std::string>{formatted(PageDoneRecord{"p1", 0, PageOutcome::kFailed, ""})});
}

TEST(LinkFeedback, WritesABusyAnswerAsABRecordWithItsWait) {
  MemoryWriter links;
  CapturedLog log("fetcher");
  LinkFeedback feedback(links, {}, log.logger());
  feedback.host_busy(BusyHost{UrlRecord{"p1", "http://h.test/"}, std::chrono::milliseconds(1200)});
  ASSERT_EQ(links.lines, std::vector<std::string>{formatted(HostBusyRecord{"p1", 1200})});
}

// Serves one HTML page, fails everything else.
class OnePageFetcher final : public UrlFetcher {
 public:
  explicit OnePageFetcher(std::string path) : path_(std::move(path)) {}
  [[nodiscard]] Expected<DownloadedFile> fetch(const UrlRecord& record) override {
    if (record.url != "http://h.test/") return fail("HTTP 404");
    return DownloadedFile{path_, kPage.size(), "text/html", ""};
  }

 private:
  std::string path_;
};

// Writes into one sequence shared by several writers, so the order across links shows.
class SequencedWriter final : public RecordWriter {
 public:
  SequencedWriter(std::string name, std::vector<std::string>& sequence)
      : name_(std::move(name)), sequence_(sequence) {}
  void write_line(std::string_view line) override {
    sequence_.push_back(name_ + ":" + std::string(line.substr(0, 1)));
  }
  [[nodiscard]] const std::string& name() const override { return name_; }

 private:
  std::string name_;
  std::vector<std::string>& sequence_;
};

TEST(LinkFeedback, ComesAfterThePageWentDownstream) {
  TempDir dir;
  write_file(dir.file("page"), kPage);
  OnePageFetcher fetcher(dir.file("page"));
  MemoryReader input({formatted(UrlRecord{"p1", "http://h.test/"}),
                      formatted(UrlRecord{"p2", "http://h.test/missing"})});
  std::vector<std::string> sequence;
  SequencedWriter output("out", sequence);
  SequencedWriter links("links", sequence);
  CapturedLog log("fetcher");
  LinkFeedback feedback(links, {}, log.logger());
  const auto counts = run(input, output, fetcher, UrlPolicy{}, log.logger(), &feedback);
  EXPECT_EQ(counts.fetched, 1U);
  EXPECT_EQ(counts.failed, 1U);
  EXPECT_EQ(input.outstanding(), 0U);
  const std::vector<std::string> expected = {"out:P",   "links:A", "links:A",
                                             "links:D", "out:F",   "links:D"};
  EXPECT_EQ(sequence, expected);
}

}  // namespace
}  // namespace dupipe::fetcher
