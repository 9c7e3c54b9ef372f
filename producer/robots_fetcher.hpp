// The crawl frontier's own fetches: each host's /robots.txt (RFC 9309) and, with --sitemaps, its
// sitemaps, several at once, without blocking the producer's loop. A libcurl multi handle whose
// sockets the loop's one wait polls together with its links (curl_multi_poll with the loop's
// descriptors as extra fds), so a slow robots.txt holds back only its own host. Redirects are
// followed (at most 5, as RFC 9309 asks), at most RobotsRules::kMaxBytes of a body are kept, and
// the outcome becomes rules at once: a 4xx allows everything, a 5xx or no answer disallows
// everything.
#pragma once

#include <poll.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/os/c_handles.hpp"
#include "crawl/robots_rules.hpp"
#include "crawl/sitemap.hpp"

namespace dupipe::producer {

struct RobotsAnswer {
  std::string host;
  std::string url;  // as asked: the host's sitemap.xml is beside it
  crawl::RobotsRules rules;
  std::string outcome;  // for the log: "HTTP 200, 1234 bytes", "HTTP 404: everything allowed", ...
  int status = 0;       // the HTTP status; 0: no answer
  std::string body;     // what was parsed (2xx only): the rules again from the crawl's journal
};

struct SitemapAnswer {
  std::string host;
  std::string url;
  crawl::SitemapEntries entries;  // empty unless the answer was a 2xx
  std::string outcome;            // for the log
};

class RobotsFetcher {
 public:
  // FatalError if libcurl cannot make a multi handle. `is_insecure`: TLS certificates are not
  // verified (--insecure).
  explicit RobotsFetcher(bool is_insecure = false);
  RobotsFetcher(const RobotsFetcher&) = delete;
  RobotsFetcher& operator=(const RobotsFetcher&) = delete;
  ~RobotsFetcher();

  void fetch(const std::string& host, const std::string& url);
  // A sitemap of `host` (its robots.txt's Sitemap: lines, /sitemap.xml, or one an index lists);
  // its answer comes from take_sitemaps() after the take_finished() that finished it.
  void fetch_sitemap(const std::string& host, const std::string& url);
  [[nodiscard]] bool is_busy() const { return !transfers_.empty(); }

  // Waits as sys::wait_for_any() does (the stop descriptor included, `revents` set in `fds`),
  // and also until a transfer can make progress.
  void wait(std::span<pollfd> fds, std::optional<std::chrono::nanoseconds> timeout);
  // Moves the transfers on and returns the ones that finished.
  [[nodiscard]] std::vector<RobotsAnswer> take_finished();
  [[nodiscard]] std::vector<SitemapAnswer> take_sitemaps() { return std::exchange(sitemaps_, {}); }

  static constexpr const char* kProductToken = "dupipe";

 private:
  struct Transfer {
    std::string host;
    std::string url;  // as asked (a sitemap's entries resolve against it)
    bool is_sitemap = false;
    std::size_t max_bytes = crawl::RobotsRules::kMaxBytes;
    std::string body;
    bool is_cut = false;  // the body passed kMaxBytes: the rest is not read
    CurlEasy easy;
  };
  static std::size_t keep_body(char* data, std::size_t size, std::size_t count, void* transfer);
  void start(std::unique_ptr<Transfer> transfer, const char* what);
  [[nodiscard]] RobotsAnswer answer_of(Transfer& transfer, CURLcode result) const;
  [[nodiscard]] static SitemapAnswer sitemap_of(Transfer& transfer, CURLcode result);

  CurlMulti multi_;
  bool is_insecure_;
  std::map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::vector<SitemapAnswer> sitemaps_;
};

}  // namespace dupipe::producer
