// The frontier's assembly of crawl feedback: links are held per page until its D record, pages
// of several fetchers interleave, a page fetched again after an unfinished fetch keeps only its
// fresh links, and a D record promising links that never came is an error naming the page.
#include "crawl/page_assembler.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dupipe::crawl {
namespace {

FinishedPage finished(Expected<FinishedPage> taken) {
  EXPECT_TRUE(taken.has_value()) << taken.error().message;
  return taken.has_value() ? *taken : FinishedPage{};
}

TEST(PageAssembler, HandsOverAPageWithItsLinksAtItsDoneRecord) {
  PageAssembler pages;
  pages.add(FoundLinkRecord{"p1", "http://h/a"});
  pages.add(FoundLinkRecord{"p1", "http://h/b"});
  EXPECT_EQ(pages.open_pages(), 1U);
  const FinishedPage page =
      finished(pages.finish(PageDoneRecord{"p1", 2, PageOutcome::kFetched, ""}));
  EXPECT_EQ(page.page_id, "p1");
  EXPECT_EQ(page.outcome, PageOutcome::kFetched);
  EXPECT_EQ(page.links, (std::vector<std::string>{"http://h/a", "http://h/b"}));
  EXPECT_EQ(page.dropped, 0U);
  EXPECT_EQ(pages.open_pages(), 0U);
}

TEST(PageAssembler, KeepsInterleavedPagesApart) {
  PageAssembler pages;
  pages.add(FoundLinkRecord{"p1", "http://h/1a"});
  pages.add(FoundLinkRecord{"p2", "http://h/2a"});
  pages.add(FoundLinkRecord{"p1", "http://h/1b"});
  EXPECT_EQ(finished(pages.finish(PageDoneRecord{"p2", 1, PageOutcome::kFetched, ""})).links,
            std::vector<std::string>{"http://h/2a"});
  EXPECT_EQ(finished(pages.finish(PageDoneRecord{"p1", 2, PageOutcome::kFetched, ""})).links,
            (std::vector<std::string>{"http://h/1a", "http://h/1b"}));
}

TEST(PageAssembler, FinishesAPageWithoutLinksAndAFailedOne) {
  PageAssembler pages;
  const FinishedPage plain =
      finished(pages.finish(PageDoneRecord{"p1", 0, PageOutcome::kFetched, ""}));
  EXPECT_TRUE(plain.links.empty());
  const FinishedPage gone =
      finished(pages.finish(PageDoneRecord{"p2", 0, PageOutcome::kFailed, ""}));
  EXPECT_EQ(gone.outcome, PageOutcome::kFailed);
}

TEST(PageAssembler, KeepsOnlyTheFreshLinksOfAPageFetchedAgain) {
  PageAssembler pages;
  // A fetcher died after two of the page's links; another fetched the page again.
  pages.add(FoundLinkRecord{"p1", "http://h/a"});
  pages.add(FoundLinkRecord{"p1", "http://h/b"});
  for (const char* url : {"http://h/a", "http://h/b", "http://h/c"}) {
    pages.add(FoundLinkRecord{"p1", url});
  }
  const FinishedPage page =
      finished(pages.finish(PageDoneRecord{"p1", 3, PageOutcome::kFetched, ""}));
  EXPECT_EQ(page.links, (std::vector<std::string>{"http://h/a", "http://h/b", "http://h/c"}));
  EXPECT_EQ(page.dropped, 2U);
}

TEST(PageAssembler, RefusesADoneRecordThatCountsLinksThatNeverCame) {
  PageAssembler pages;
  pages.add(FoundLinkRecord{"p1", "http://h/a"});
  const auto taken = pages.finish(PageDoneRecord{"p1", 2, PageOutcome::kFetched, ""});
  ASSERT_FALSE(taken.has_value());
  EXPECT_NE(taken.error().message.find("page p1"), std::string::npos) << taken.error().message;
  EXPECT_NE(taken.error().message.find("counts 2 links, 1 arrived"), std::string::npos)
      << taken.error().message;
}

}  // namespace
}  // namespace dupipe::crawl
