#include "producer/robots_fetcher.hpp"

#include <algorithm>

#include "common/base/error.hpp"
#include "common/base/version.hpp"
#include "common/os/signals.hpp"

namespace dupipe::producer {
namespace {

constexpr long kMaxRedirects = 5;  // RFC 9309 2.3.1.2: follow at least five
constexpr long kConnectTimeoutS = 10;
constexpr long kTimeoutS = 30;  // a host that answers slower waits this long, at most

}  // namespace

RobotsFetcher::RobotsFetcher(bool is_insecure)
    : multi_(curl_multi_init()), is_insecure_(is_insecure) {
  if (!multi_) throw FatalError("curl_multi_init failed (robots.txt fetches)");
}

RobotsFetcher::~RobotsFetcher() {
  for (auto& [easy, transfer] : transfers_) curl_multi_remove_handle(multi_.get(), easy);
}

std::size_t RobotsFetcher::keep_body(char* data, std::size_t size, std::size_t count,
                                     void* opaque) {
  auto* transfer = static_cast<Transfer*>(opaque);
  const std::size_t bytes = size * count;
  const std::size_t room = transfer->max_bytes - transfer->body.size();
  transfer->body.append(data, std::min(bytes, room));
  if (bytes <= room) return bytes;
  transfer->is_cut = true;
  return 0;  // CURLE_WRITE_ERROR: the rest would not be parsed anyway
}

void RobotsFetcher::fetch(const std::string& host, const std::string& url) {
  auto transfer = std::make_unique<Transfer>();
  transfer->host = host;
  transfer->url = url;
  start(std::move(transfer), "robots.txt");
}

void RobotsFetcher::fetch_sitemap(const std::string& host, const std::string& url) {
  auto transfer = std::make_unique<Transfer>();
  transfer->host = host;
  transfer->url = url;
  transfer->is_sitemap = true;
  transfer->max_bytes = crawl::kMaxSitemapBytes;
  start(std::move(transfer), "sitemap");
}

void RobotsFetcher::start(std::unique_ptr<Transfer> transfer, const char* what) {
  const std::string& host = transfer->host;
  const std::string& url = transfer->url;
  transfer->easy.reset(curl_easy_init());
  CURL* curl = transfer->easy.get();
  if (curl == nullptr)
    throw FatalError(std::string("curl_easy_init failed (") + what + " of " + host + ")");
  const std::string user_agent = "dupipe/" + std::string(version());  // libcurl copies it
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, kMaxRedirects);  // 7.88 follows without end otherwise
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutS);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, kTimeoutS);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  if (is_insecure_) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &RobotsFetcher::keep_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, transfer.get());
  if (curl_multi_add_handle(multi_.get(), curl) != CURLM_OK) {
    throw FatalError(std::string("curl_multi_add_handle failed (") + what + " of " + host + ")");
  }
  transfers_.emplace(curl, std::move(transfer));
}

void RobotsFetcher::wait(std::span<pollfd> fds, std::optional<std::chrono::nanoseconds> timeout) {
  std::vector<curl_waitfd> extra;
  extra.reserve(fds.size() + 1);
  for (const pollfd& fd : fds) {
    extra.push_back({fd.fd, static_cast<short>(fd.events & (POLLIN | POLLOUT)), 0});
  }
  extra.push_back({stop_fd(), CURL_WAIT_POLLIN, 0});
  long timeout_ms = 1000;  // libcurl's own timers also end the wait
  if (timeout) {
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
    timeout_ms = static_cast<long>(std::clamp<std::int64_t>(ms, 0, 1000));
  }
  const CURLMcode code =
      curl_multi_poll(multi_.get(), extra.data(), static_cast<unsigned>(extra.size()),
                      static_cast<int>(timeout_ms), nullptr);
  if (code != CURLM_OK) {
    throw FatalError(std::string("curl_multi_poll (robots.txt fetches): ") +
                     curl_multi_strerror(code));
  }
  for (std::size_t i = 0; i < fds.size(); ++i) fds[i].revents = extra[i].revents;
  if (extra.back().revents != 0) throw_if_stopped();
}

std::vector<RobotsAnswer> RobotsFetcher::take_finished() {
  std::vector<RobotsAnswer> answers;
  if (transfers_.empty()) return answers;
  int running = 0;
  curl_multi_perform(multi_.get(), &running);
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_.get(), &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    const CURLcode result = message->data.result;
    curl_multi_remove_handle(multi_.get(), easy);
    const auto found = transfers_.find(easy);
    if (found->second->is_sitemap) {
      sitemaps_.push_back(sitemap_of(*found->second, result));
    } else {
      answers.push_back(answer_of(*found->second, result));
    }
    transfers_.erase(found);
  }
  return answers;
}

RobotsAnswer RobotsFetcher::answer_of(Transfer& transfer, CURLcode result) const {
  long status = 0;
  curl_easy_getinfo(transfer.easy.get(), CURLINFO_RESPONSE_CODE, &status);
  // More than 5 redirects is an answer too: the last 3xx, "unavailable" (RFC 9309 2.3.1.2).
  const bool is_answer = result == CURLE_OK || result == CURLE_TOO_MANY_REDIRECTS ||
                         (result == CURLE_WRITE_ERROR && transfer.is_cut);
  if (!is_answer) status = 0;  // unreachable: RFC 9309 2.3.1.4, disallow everything
  RobotsAnswer answer{
      transfer.host,
      transfer.url,
      crawl::RobotsRules::for_status(static_cast<int>(status), transfer.body, kProductToken),
      "",
      static_cast<int>(status),
      ""};
  if (!is_answer) {
    answer.outcome = std::string(curl_easy_strerror(result)) + ": everything disallowed";
  } else if (status >= 200 && status < 300) {
    answer.body = std::move(transfer.body);
    answer.outcome = "HTTP " + std::to_string(status) + ", " + std::to_string(answer.body.size()) +
                     " bytes" + (transfer.is_cut ? " (the rest not read)" : "");
  } else if (status >= 400 && status < 500) {
    answer.outcome = "HTTP " + std::to_string(status) + ": everything allowed";
  } else {
    answer.outcome = "HTTP " + std::to_string(status) + ": everything disallowed";
  }
  return answer;
}

SitemapAnswer RobotsFetcher::sitemap_of(Transfer& transfer, CURLcode result) {
  SitemapAnswer answer{transfer.host, transfer.url, {}, ""};
  long status = 0;
  curl_easy_getinfo(transfer.easy.get(), CURLINFO_RESPONSE_CODE, &status);
  const bool is_answer = result == CURLE_OK || (result == CURLE_WRITE_ERROR && transfer.is_cut);
  if (!is_answer) {
    answer.outcome = curl_easy_strerror(result);
  } else if (status < 200 || status >= 300) {
    answer.outcome = "HTTP " + std::to_string(status);
  } else {
    answer.entries = crawl::parse_sitemap(transfer.body, transfer.url);
    answer.outcome = "HTTP " + std::to_string(status) + ", " +
                     std::to_string(answer.entries.pages.size()) + " pages, " +
                     std::to_string(answer.entries.sitemaps.size()) + " sitemaps" +
                     (transfer.is_cut ? " (past 50 MiB not read)" : "");
  }
  return answer;
}

}  // namespace dupipe::producer
