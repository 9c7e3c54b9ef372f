// The crawl cycle cannot lock: a fake fetcher that writes each page's links back with blocking
// writes (and reads its next URL only after) against the producer's loop, both links shrunk to
// one page of pipe buffer, a seed with far more links than either link holds. A producer that
// blocked in its write to the fetcher would wait for it while it waits for the producer; the
// loop must instead finish, every page settled. Run in a child bounded in time: a lock is a
// killed child, not a hung suite.
#include "producer/crawl_run.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <iostream>
#include <string>
#include <thread>

#include "common/protocol/records.hpp"
#include "common/transport/fd_endpoint.hpp"
#include "tests/unit/test_support.hpp"

namespace dupipe::producer {
namespace {

using testing::make_pipe;
using testing::Pipe;

constexpr int kLinks = 400;  // about 40 bytes each: 16 KB of A records and of U records

// Reads U records until the end of the stream; for the seed writes kLinks links, for every other
// page none, each page's D after its links. Blocking writes throughout, as a fetcher's are.
void fake_fetcher(UniqueFd urls, UniqueFd feedback) {
  FdLineReader input(std::move(urls), "urls", false);
  FdLineWriter output(std::move(feedback), "links", false);
  while (const auto line = input.read_line()) {
    const auto record = parse_record(*line);
    const auto& page = std::get<UrlRecord>(*record);
    const bool is_seed = page.url == "http://h.test/";
    for (int i = 0; is_seed && i < kLinks; ++i) {
      write_record(output, FoundLinkRecord{page.id, "http://h.test/p" + std::to_string(i)});
    }
    write_record(output, PageDoneRecord{page.id, is_seed ? std::uint64_t{kLinks} : 0,
                                        PageOutcome::kFetched, ""});
  }
}

int crawl_against_fake_fetcher() {
  Pipe urls = make_pipe();
  Pipe feedback = make_pipe();
  for (const int fd : {urls.write_end.get(), feedback.write_end.get()}) {
    if (::fcntl(fd, F_SETPIPE_SZ, 4096) < 0) return 10;
  }
  std::thread fetcher(fake_fetcher, std::move(urls.read_end), std::move(feedback.write_end));
  Pipe seeds = make_pipe();
  if (::write(seeds.write_end.get(), "http://h.test/\n", 15) != 15) return 11;
  seeds.write_end.reset();
  FdLineReader seed_list(std::move(seeds.read_end), "seeds", false);
  FdLineReader links(std::move(feedback.read_end), "links", false);
  CrawlCounts counts;
  {
    FdLineWriter output(std::move(urls.write_end), "urls", true);
    CrawlOptions options;
    options.limits.per_host = 1000;  // everything may be in flight at once
    counts = run_crawl(seed_list, output, links, options, Logger("producer", std::cerr));
  }  // the end of the URL stream lets the fetcher finish
  fetcher.join();
  return counts.fetched == kLinks + 1 && counts.found == kLinks ? 0 : 12;
}

TEST(CrawlRun, FinishesACycleWhoseLinksBothFill) {
  const pid_t child = testing::spawn_child(crawl_against_fake_fetcher);
  const int status = testing::wait_bounded(child, std::chrono::seconds(20));
  ASSERT_TRUE(WIFEXITED(status)) << "the crawl locked (killed after 20 s)";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace dupipe::producer
