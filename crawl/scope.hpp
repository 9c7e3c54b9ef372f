// Which found URLs a crawl may fetch at all, before depth, robots.txt and the page limit: by
// default only URLs on the seeds' hosts (host names, whatever the port, as wget does), more with
// --allow-host; with --no-parent only URLs under a seed's directory (on a seed's scheme, host and
// port; a host added by --allow-host is taken whole); --accept / --reject
// regular expressions (ECMAScript, searched anywhere in the URL as found). Decided on keys
// (url_key), so every spelling of a URL gets the same answer. Pure and thread-safe once built.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/base/error.hpp"

namespace dupipe::crawl {

struct ScopeOptions {
  std::vector<std::string> allow_hosts;  // host names, beyond the seeds' own
  bool no_parent = false;
  std::string accept;  // empty: every URL
  std::string reject;  // empty: none
};

class Scope {
 public:
  // An Error naming the option when a regular expression does not compile.
  [[nodiscard]] static Expected<Scope> make(const ScopeOptions& options,
                                            const std::vector<std::string>& seed_keys);

  // nullopt if the URL may be fetched; else why not: "scope" (its host, or above every seed's
  // directory with --no-parent) or "filter" (--accept did not match, or --reject did).
  [[nodiscard]] std::optional<std::string_view> excluded(std::string_view key,
                                                         std::string_view url) const;

 private:
  Scope() = default;
  [[nodiscard]] bool is_above_seeds(std::string_view key) const;

  std::unordered_set<std::string> hosts_;  // lower-case host names
  std::vector<std::string> directories_;   // --no-parent: each seed key up to its last '/'
  std::optional<std::regex> accept_;
  std::optional<std::regex> reject_;
};

// The host name of a key: no user information, no port ("h.test", "[::1]").
[[nodiscard]] std::string host_name_of_key(std::string_view key);

}  // namespace dupipe::crawl
