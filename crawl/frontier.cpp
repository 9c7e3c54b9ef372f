#include "crawl/frontier.hpp"

#include <algorithm>
#include <deque>

#include "crawl/url_key.hpp"

namespace dupipe::crawl {

std::string host_of_key(std::string_view key) {
  const std::size_t scheme_end = key.find("://");
  const std::size_t begin = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const std::size_t end = path_start(key);
  std::string authority(key.substr(begin, end - begin));
  if (const std::size_t at = authority.rfind('@'); at != std::string::npos) {
    authority.erase(0, at + 1);
  }
  return authority;
}

Admission Frontier::add_seed(const FoundUrl& seed) { return add(seed, 0, nullptr); }

Admission Frontier::add(const FoundUrl& found, std::uint32_t depth, const std::string* found_on) {
  if (nodes_.count(found.key) != 0) {
    lower(found.key, depth, found_on);
    return Admission::kKnown;
  }
  Node& node = nodes_[found.key];
  node.url = found.url;
  node.host = host_of_key(found.key);
  node.found_on = found_on;
  node.depth = depth;
  if (depth > limits_.max_depth) {
    node.state = State::kTooDeep;
    ++too_deep_;
    return Admission::kTooDeep;
  }
  enqueue(found.key, node);
  return Admission::kQueued;
}

void Frontier::enqueue(const std::string& key, Node& node) {
  node.state = State::kQueued;
  node.order = order_++;
  auto [host, is_new] = hosts_.try_emplace(node.host);
  if (is_new) {
    host->second.is_open = !limits_.hosts_start_closed;
    host->second.delay = limits_.delay;
    new_hosts_.push_back(NewHost{node.host, key});
  }
  host->second.queue.emplace(QueueKey{node.depth, node.order}, key);
  ++queued_;
}

void Frontier::open_host(const std::string& host, std::chrono::milliseconds delay,
                         Clock::time_point now) {
  Host& opened = hosts_.at(host);
  opened.is_open = true;
  opened.delay = delay;
  opened.next_start = std::max(opened.next_start, now + delay);
}

void Frontier::drop(const std::string& key) {
  Node& node = nodes_.at(key);
  if (node.state != State::kInFlight) return;
  node.state = State::kDone;
  Host& host = hosts_.at(node.host);
  --host.in_flight;
  host.next_start = host.start_before;  // nothing was asked of the host
  --in_flight_;
  --started_;
}

bool Frontier::start(const std::string& key) {
  const auto found = nodes_.find(key);
  if (found == nodes_.end() || found->second.state != State::kQueued) return false;
  Node& node = found->second;
  Host& host = hosts_.at(node.host);
  host.queue.erase(QueueKey{node.depth, node.order});
  ++host.in_flight;
  node.state = State::kInFlight;
  --queued_;
  ++in_flight_;
  ++started_;
  return true;
}

// A shorter path to `key` was found: its depth and everything reached through it move up. A
// worklist, not recursion: a long chain of links must not exhaust the stack.
void Frontier::lower(const std::string& key, std::uint32_t depth, const std::string* found_on) {
  std::deque<std::tuple<const std::string*, std::uint32_t, const std::string*>> pending;
  pending.emplace_back(&nodes_.find(key)->first, depth, found_on);
  while (!pending.empty()) {
    const auto [current_key, new_depth, parent] = pending.front();
    pending.pop_front();
    const std::string& current = *current_key;
    Node& node = nodes_.at(current);
    if (new_depth >= node.depth) continue;
    const std::uint32_t old_depth = node.depth;
    node.depth = new_depth;
    node.found_on = parent;
    switch (node.state) {
      case State::kTooDeep:
        if (new_depth <= limits_.max_depth) {
          --too_deep_;
          enqueue(current, node);
        }
        break;
      case State::kQueued: {
        Host& host = hosts_.at(node.host);
        host.queue.erase(QueueKey{old_depth, node.order});
        host.queue.emplace(QueueKey{new_depth, node.order}, current);
        break;
      }
      case State::kInFlight:  // its links, when they come, are added at the new depth
        break;
      case State::kDone:
        for (const std::string* link : node.links)
          pending.emplace_back(link, new_depth + 1, current_key);
        break;
    }
  }
}

bool Frontier::may_start(const Host& host, Clock::time_point now) const {
  return host.is_open && !host.queue.empty() && host.in_flight < limits_.per_host &&
         host.next_start <= now;
}

std::optional<Assignment> Frontier::next(Clock::time_point now) {
  if (is_at_page_limit()) return std::nullopt;
  // A scan of the hosts, O(hosts) per URL handed out: simple and enough for a crawl of a few
  // hundred hosts; many thousands would want the hosts in a heap by their next start.
  Host* best = nullptr;
  for (auto& [name, host] : hosts_) {
    if (may_start(host, now) &&
        (best == nullptr || host.queue.begin()->first < best->queue.begin()->first)) {
      best = &host;
    }
  }
  if (best == nullptr) return std::nullopt;
  const std::string key = best->queue.begin()->second;
  best->queue.erase(best->queue.begin());
  ++best->in_flight;
  best->start_before = best->next_start;
  best->next_start = now + best->delay;
  Node& node = nodes_.at(key);
  node.state = State::kInFlight;
  --queued_;
  ++in_flight_;
  ++started_;
  return Assignment{key, node.url, node.depth, node.found_on ? *node.found_on : std::string()};
}

std::optional<Clock::time_point> Frontier::wake_at() const {
  if (is_at_page_limit()) return std::nullopt;
  std::optional<Clock::time_point> earliest;
  for (const auto& [name, host] : hosts_) {
    if (!host.is_open || host.queue.empty() || host.in_flight >= limits_.per_host) continue;
    if (!earliest || host.next_start < *earliest) earliest = host.next_start;
  }
  return earliest;
}

std::vector<Admission> Frontier::finished(const std::string& key,
                                          const std::vector<FoundUrl>& links) {
  Node& node = nodes_.at(key);
  Host& host = hosts_.at(node.host);
  if (node.state == State::kInFlight) {
    --host.in_flight;
    --in_flight_;
  } else if (node.state == State::kQueued && node.was_restarted) {
    // Started again after a loss, and the first start reported after all: settled, so it is
    // not fetched twice.
    host.queue.erase(QueueKey{node.depth, node.order});
    --queued_;
    ++started_;
  } else {
    return {};  // reported twice: the first report counts
  }
  node.state = State::kDone;
  const std::uint32_t depth = node.depth;
  std::vector<Admission> admissions;
  admissions.reserve(links.size());
  const std::string* parent = &nodes_.find(key)->first;
  for (const FoundUrl& link : links) {
    admissions.push_back(add(link, depth + 1, parent));
    nodes_.at(key).links.push_back(&nodes_.find(link.key)->first);
  }
  return admissions;
}

void Frontier::hold_host(const std::string& key, Clock::time_point now,
                         std::chrono::milliseconds wait) {
  const auto found = nodes_.find(key);
  if (found == nodes_.end()) return;
  Host& host = hosts_.at(found->second.host);
  host.next_start = std::max(host.next_start, now + wait);
}

void Frontier::restart_in_flight() {
  for (auto& [key, node] : nodes_) {
    if (node.state != State::kInFlight) continue;
    --hosts_.at(node.host).in_flight;
    --in_flight_;
    --started_;  // max_pages counts fetches, and this one never finished
    node.was_restarted = true;
    enqueue(key, node);
  }
}

std::optional<std::uint32_t> Frontier::depth_of(const std::string& key) const {
  const auto found = nodes_.find(key);
  if (found == nodes_.end()) return std::nullopt;
  return found->second.depth;
}

std::optional<std::string> Frontier::found_on(const std::string& key) const {
  const auto found = nodes_.find(key);
  if (found == nodes_.end()) return std::nullopt;
  return found->second.found_on ? *found->second.found_on : std::string();
}

std::optional<std::string> Frontier::url_of(const std::string& key) const {
  const auto found = nodes_.find(key);
  if (found == nodes_.end()) return std::nullopt;
  return found->second.url;
}

}  // namespace dupipe::crawl
