// The end-to-end passes of a URL-mode run (docs/RECOVERY.md): pass 1 feeds everything; while the
// report says records were lost with a dead stage ("complete": false), another pass re-feeds
// only what is missing, at most `refeeds` times; the last pass reports what still never arrived
// as failures, so it always ends the run. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/protocol/records.hpp"

namespace dupipe::supervisor {

class PassPlan {
 public:
  explicit PassPlan(std::uint32_t refeeds) : last_(refeeds + 1) {}

  [[nodiscard]] std::uint32_t last() const { return last_; }
  [[nodiscard]] bool is_last(std::uint32_t pass) const { return pass >= last_; }
  // The pass after `pass`, or nothing when the run is done.
  [[nodiscard]] std::optional<std::uint32_t> next(std::uint32_t pass, bool is_complete) const {
    if (is_complete || is_last(pass)) return std::nullopt;
    return pass + 1;
  }

 private:
  std::uint32_t last_;
};

// A crawl's re-feed list: the URL of every U and F record of the crawl's manifest, once each in
// their first order (a restarted producer lists again what the dead one had listed, and the
// URL-mode producer of the re-feed would reject each second copy as a repeat).
[[nodiscard]] inline std::vector<std::string> refeed_list(
    const std::vector<std::string>& manifest) {
  std::vector<std::string> urls;
  std::unordered_set<std::string> listed;
  for (const std::string& line : manifest) {
    auto record = parse_record(line);
    if (!record) continue;
    std::string url;
    if (const auto* u = std::get_if<UrlRecord>(&*record)) url = u->url;
    if (const auto* f = std::get_if<FailureRecord>(&*record)) url = f->url;
    if (!url.empty() && listed.insert(url).second) urls.push_back(std::move(url));
  }
  return urls;
}

// RUN_DIR/pass, read by dupipe-top: "PASS ACCOUNTED", ACCOUNTED being the records the
// aggregator's journal held when the pass began (what its producer skips).
[[nodiscard]] inline std::string pass_mark(std::uint32_t pass, std::uint64_t accounted) {
  return std::to_string(pass) + " " + std::to_string(accounted) + "\n";
}

}  // namespace dupipe::supervisor
