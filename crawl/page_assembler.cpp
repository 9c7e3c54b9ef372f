#include "crawl/page_assembler.hpp"

#include <iterator>

namespace dupipe::crawl {

void PageAssembler::add(const FoundLinkRecord& link) { links_[link.page_id].push_back(link.url); }

Expected<FinishedPage> PageAssembler::finish(const PageDoneRecord& done) {
  FinishedPage page{done.page_id, done.outcome, {}, 0};
  const auto found = links_.find(done.page_id);
  const std::uint64_t arrived = found == links_.end() ? 0 : found->second.size();
  if (arrived < done.links) {
    return fail("page " + done.page_id + ": its D record counts " + std::to_string(done.links) +
                " links, " + std::to_string(arrived) + " arrived before it");
  }
  if (found != links_.end()) {
    std::vector<std::string>& all = found->second;
    page.dropped = arrived - done.links;
    page.links.assign(std::make_move_iterator(all.end() - static_cast<std::ptrdiff_t>(done.links)),
                      std::make_move_iterator(all.end()));
    links_.erase(found);
  }
  return page;
}

}  // namespace dupipe::crawl
