#include "common/protocol/crawl_state.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace dupipe {

using Json = nlohmann::json;

std::string to_json(const CrawlState& state) {
  Json pages = Json::object();
  for (const auto& [url, origin] : state.pages) {
    Json page{{"depth", origin.depth}};
    if (!origin.found_on.empty()) page["found_on"] = origin.found_on;
    pages[url] = std::move(page);
  }
  const Json json{{"version", 1},
                  {"pages", std::move(pages)},
                  {"not_fetched", state.not_fetched},
                  {"likely_traps", state.likely_traps}};
  return json.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Expected<CrawlState> read_crawl_state(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail_errno("open crawl state " + path, errno);
  try {
    const Json json = Json::parse(in);
    CrawlState state;
    for (const auto& [url, page] : json.at("pages").items()) {
      state.pages[url] =
          PageOrigin{page.at("depth").get<std::uint32_t>(), page.value("found_on", std::string())};
    }
    state.not_fetched = json.at("not_fetched").get<std::map<std::string, std::uint64_t>>();
    if (json.contains("likely_traps")) {
      state.likely_traps = json.at("likely_traps").get<std::map<std::string, std::uint64_t>>();
    }
    return state;
  } catch (const Json::exception& error) {
    return fail("crawl state " + path + ": " + error.what());
  }
}

}  // namespace dupipe
