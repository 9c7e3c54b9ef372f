#include "crawl/scope.hpp"

#include <algorithm>

#include "common/base/text.hpp"
#include "crawl/frontier.hpp"
#include "crawl/url_key.hpp"

namespace dupipe::crawl {
namespace {

Expected<std::optional<std::regex>> compile(const std::string& pattern, std::string_view option) {
  if (pattern.empty()) return std::optional<std::regex>();
  try {
    return std::optional<std::regex>(std::regex(pattern, std::regex::ECMAScript));
  } catch (const std::regex_error& error) {
    return fail(std::string(option) + " '" + pattern + "': " + error.what());
  }
}

// The key up to and including the last '/' of its path: "http://h/a/b.html" -> "http://h/a/".
std::string directory_of_key(std::string_view key) {
  const std::size_t path = path_start(key);
  if (path == key.size()) return std::string(key) + "/";
  const std::size_t query = std::min(key.find('?', path), key.size());
  return std::string(key.substr(0, key.rfind('/', query - 1) + 1));
}

}  // namespace

std::string host_name_of_key(std::string_view key) {
  std::string host = host_of_key(key);
  const std::size_t colon = host.rfind(':');
  const std::size_t bracket = host.rfind(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    host.erase(colon);
  }
  return host;
}

Expected<Scope> Scope::make(const ScopeOptions& options,
                            const std::vector<std::string>& seed_keys) {
  Scope scope;
  auto accept = compile(options.accept, "--accept");
  if (!accept) return tl::unexpected(accept.error());
  auto reject = compile(options.reject, "--reject");
  if (!reject) return tl::unexpected(reject.error());
  scope.accept_ = std::move(*accept);
  scope.reject_ = std::move(*reject);
  for (const std::string& host : options.allow_hosts) scope.hosts_.insert(ascii_lower(host));
  for (const std::string& key : seed_keys) {
    scope.hosts_.insert(host_name_of_key(key));
    if (options.no_parent) scope.directories_.push_back(directory_of_key(key));
  }
  return scope;
}

// --no-parent holds on the seeds' own origins; a host added by --allow-host is taken whole.
bool Scope::is_above_seeds(std::string_view key) const {
  const std::string_view origin = key.substr(0, path_start(key));
  bool is_seed_origin = false;
  for (const std::string& dir : directories_) {
    if (key.substr(0, dir.size()) == dir) return false;
    is_seed_origin = is_seed_origin || std::string_view(dir).substr(0, path_start(dir)) == origin;
  }
  return is_seed_origin;
}

std::optional<std::string_view> Scope::excluded(std::string_view key, std::string_view url) const {
  if (hosts_.count(host_name_of_key(key)) == 0) return "scope";
  if (is_above_seeds(key)) return "scope";
  if (accept_ && !std::regex_search(url.begin(), url.end(), *accept_)) return "filter";
  if (reject_ && std::regex_search(url.begin(), url.end(), *reject_)) return "filter";
  return std::nullopt;
}

}  // namespace dupipe::crawl
