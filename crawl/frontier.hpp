// The crawl's frontier: every URL found, once per key (url_key), with its depth — its shortest
// link distance from a seed, whatever order the fetchers answer in — and the schedule that hands
// URLs to the fetchers politely: at most `per_host` requests to one host (host:port) at once for
// the whole run, at least `delay` between the starts of two of them, a host's Retry-After or
// backoff honoured; across hosts the shallowest URL first (a Mercator-style choice among the
// hosts that may start now). The crawl ends when nothing is queued and nothing is in flight: by
// counting, never by a timeout.
//
// Depth is exact because nothing is forgotten: a URL found beyond max_depth is remembered, and a
// page's links are kept (as keys), so when a shorter path to a URL turns up later, its depth is
// lowered and the change flows down its links (queued ones move up, remembered ones become
// eligible, fetched ones pass it on). Memory: per URL its key and URL text, a pointer to its
// parent's key, a pointer per link and bookkeeping (docs/CRAWL.md, "Memory of the frontier", has
// the measured figure). Single-threaded: the producer owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dupipe::crawl {

using Clock = std::chrono::steady_clock;

struct FrontierLimits {
  std::uint32_t per_host = 4;          // requests in flight to one host, run-wide
  std::chrono::milliseconds delay{0};  // least time between two starts on one host
  std::uint32_t max_depth = 5;         // a seed is depth 0
  std::uint64_t max_pages = 0;         // starts in all; 0: no limit
  // A host starts nothing until open_host() (its robots.txt is being fetched); false: every
  // host is open from the start (--ignore-robots).
  bool hosts_start_closed = false;
};

// A host first seen by the frontier: its politeness unit and the key of its first URL (whose
// scheme tells where its robots.txt is).
struct NewHost {
  std::string host;
  std::string first_key;
};

// A URL as found: its key (url_key) and the URL to fetch.
struct FoundUrl {
  std::string key;
  std::string url;
};

// What the frontier hands to a fetcher.
struct Assignment {
  std::string key;
  std::string url;
  std::uint32_t depth = 0;
  std::string found_on;  // the key of the page it was found on; empty for a seed
};

enum class Admission {
  kQueued,   // new, and will be fetched
  kKnown,    // already found (its depth may have been lowered)
  kTooDeep,  // new, beyond max_depth: remembered, fetched only if a shorter path turns up
};

class Frontier {
 public:
  explicit Frontier(FrontierLimits limits) : limits_(limits) {}

  Admission add_seed(const FoundUrl& seed);

  // The next URL that may start at `now`, or nullopt: then wake_at() says when one may (unless
  // nothing is queued, or max_pages is reached).
  std::optional<Assignment> next(Clock::time_point now);
  [[nodiscard]] std::optional<Clock::time_point> wake_at() const;

  // `key` was fetched (or failed for good) and these are its links: each is added at the page's
  // depth + 1. The admissions, in the order of `links`.
  std::vector<Admission> finished(const std::string& key, const std::vector<FoundUrl>& links);
  // The server of the in-flight `key` asked to wait (429, 503; its fetcher tries `key` again
  // then): its host starts nothing before now + wait.
  void hold_host(const std::string& key, Clock::time_point now, std::chrono::milliseconds wait);

  // Nothing in flight and nothing more to start: the queue is empty or max_pages is reached (what
  // is queued then is never fetched: not_started()).
  [[nodiscard]] bool is_finished() const {
    return in_flight_ == 0 && (queued_ == 0 || is_at_page_limit());
  }
  [[nodiscard]] bool is_at_page_limit() const {
    return limits_.max_pages != 0 && started_ >= limits_.max_pages;
  }
  // Hosts seen since the last call, in the order they were first seen.
  [[nodiscard]] std::vector<NewHost> take_new_hosts() { return std::exchange(new_hosts_, {}); }
  // `host` may start its pages, at least `delay` apart (its own Crawl-delay, or the run's), the
  // first `delay` after `now` (the request for its robots.txt counts as one).
  void open_host(const std::string& host, std::chrono::milliseconds delay, Clock::time_point now);
  // The URL next() just handed out will not be fetched (robots.txt denies it): settled with no
  // links, its start not counted against max_pages, and its host's next start as it was before.
  void drop(const std::string& key);
  // The queued `key` is in flight, as if next() had handed it out (a journal replayed: the
  // producer's restart, docs/RECOVERY.md); the host's politeness clock is left alone. False when
  // `key` is not queued.
  bool start(const std::string& key);

  // Every page in flight is queued again at its depth, as if never started (a fetcher that held
  // some died and no one can tell which): they start again, and a late report of the first
  // start is taken as the page's, also while it waits to start again (finished() takes the
  // first report of a page only).
  void restart_in_flight();
  [[nodiscard]] std::uint64_t queued() const { return queued_; }
  [[nodiscard]] std::uint64_t in_flight() const { return in_flight_; }
  [[nodiscard]] std::uint64_t started() const { return started_; }
  // Found and never to be fetched as things stand: beyond max_depth.
  [[nodiscard]] std::uint64_t too_deep() const { return too_deep_; }
  [[nodiscard]] std::optional<std::uint32_t> depth_of(const std::string& key) const;
  [[nodiscard]] std::optional<std::string> found_on(const std::string& key) const;
  [[nodiscard]] std::optional<std::string> url_of(const std::string& key) const;

 private:
  enum class State { kTooDeep, kQueued, kInFlight, kDone };
  // A node's parent and links point at keys in nodes_: an unordered_map's elements stay where
  // they are as it grows, and a node is never erased.
  struct Node {
    std::string url;
    std::string host;
    const std::string* found_on = nullptr;  // the key of the page it was found on; none: a seed
    std::uint32_t depth = 0;
    State state = State::kQueued;
    std::uint64_t order = 0;     // its place in the host's queue (FIFO within a depth)
    bool was_restarted = false;  // queued again by restart_in_flight(): a late report counts
    std::vector<const std::string*> links;  // keys, once fetched
  };
  using QueueKey = std::pair<std::uint32_t, std::uint64_t>;  // depth, then order
  struct Host {
    std::map<QueueKey, std::string> queue;  // keys, shallowest first
    std::uint32_t in_flight = 0;
    Clock::time_point next_start{};
    Clock::time_point start_before{};  // next_start before the last next(): drop() puts it back
    bool is_open = true;
    std::chrono::milliseconds delay{0};
  };

  Admission add(const FoundUrl& found, std::uint32_t depth, const std::string* found_on);
  void enqueue(const std::string& key, Node& node);
  void lower(const std::string& key, std::uint32_t depth, const std::string* found_on);
  [[nodiscard]] bool may_start(const Host& host, Clock::time_point now) const;

  FrontierLimits limits_;
  std::unordered_map<std::string, Node> nodes_;
  std::unordered_map<std::string, Host> hosts_;
  std::vector<NewHost> new_hosts_;
  std::uint64_t order_ = 0;
  std::uint64_t queued_ = 0;
  std::uint64_t in_flight_ = 0;
  std::uint64_t started_ = 0;
  std::uint64_t too_deep_ = 0;
};

// The politeness unit of a key: its host and port ("h.test", "h.test:8080"), user information
// left out.
[[nodiscard]] std::string host_of_key(std::string_view key);

}  // namespace dupipe::crawl
