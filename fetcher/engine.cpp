#include "fetcher/engine.hpp"

#include <algorithm>

#include "common/os/signals.hpp"

namespace dupipe::fetcher {
namespace {

// "host:port" of an http(s) URL: transfers are capped per origin. Producer-validated URLs only.
std::string host_of(const std::string& url) {
  const std::size_t start = url.find("://");
  if (start == std::string::npos) return url;
  std::string authority = url.substr(start + 3, url.find_first_of("/?#", start + 3) - start - 3);
  const std::size_t at = authority.rfind('@');
  return at == std::string::npos ? authority : authority.substr(at + 1);
}

}  // namespace

Engine::Engine(DownloadOptions options, const Logger& logger)
    : options_(std::move(options)), logger_(logger), multi_(curl_multi_init()), saver_(logger) {
  if (!multi_) throw FatalError("curl_multi_init failed");
  options_.transfers = std::max(options_.transfers, 1);
  options_.per_host = std::max(options_.per_host, 1);
  // libcurl queues a transfer beyond these caps instead of opening another connection.
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(options_.per_host));
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(options_.transfers));
  next_save_ = Clock::now() + std::chrono::milliseconds(options_.save_interval_ms);
}

Engine::~Engine() {
  for (auto& [handle, transfer] : transfers_) curl_multi_remove_handle(multi_.get(), handle);
  transfers_.clear();
  saver_.stop();  // no control file may be written once the part files below are removed
  jobs_.clear();  // removes part files that are not kept for resume
}

std::size_t Engine::free_slots() const {
  const auto capacity = static_cast<std::size_t>(options_.transfers);
  return jobs_.size() >= capacity ? 0 : capacity - jobs_.size();
}

void Engine::start(UrlRecord record, DeliveryTag tag) {
  jobs_.push_back(
      std::make_unique<Job>(std::move(record), options_, logger_, saver_, next_serial_++));
  tags_.emplace(jobs_.back().get(), tag);
}

void Engine::wake() { curl_multi_wakeup(multi_.get()); }

std::vector<Completion> Engine::take_completions() { return std::exchange(completions_, {}); }

std::vector<BusyHost> Engine::take_busy_hosts() {
  std::vector<BusyHost> busy;
  for (const auto& job : jobs_) {
    if (const auto wait = job->take_busy_wait()) busy.push_back(BusyHost{job->record(), *wait});
  }
  return busy;
}

void Engine::progress(int wait_ms) {
  throw_if_stopped();  // the stage loop keeps partial downloads on its way out
  fill_slots(Clock::now());
  int running = 0;
  const CURLMcode code = curl_multi_perform(multi_.get(), &running);
  if (code != CURLM_OK)
    throw FatalError(std::string("curl_multi_perform: ") + curl_multi_strerror(code));
  drain_messages();
  drop_abandoned_transfers();
  collect_finished_jobs();
  const Clock::time_point now = Clock::now();
  fill_slots(now);
  save_progress_if_due(now);
  if (!completions_.empty()) return;
  // The stop descriptor among curl's sockets: a stop signal ends the wait at once, whichever
  // thread took it. wake() remains for the input pump's thread, which has a line to hand over.
  curl_waitfd stop{stop_fd(), CURL_WAIT_POLLIN, 0};
  const unsigned stop_count = stop.fd >= 0 ? 1 : 0;
  const CURLMcode polled = curl_multi_poll(multi_.get(), stop_count > 0 ? &stop : nullptr,
                                           stop_count, poll_timeout_ms(wait_ms, now), nullptr);
  if (polled != CURLM_OK)
    throw FatalError(std::string("curl_multi_poll: ") + curl_multi_strerror(polled));
  throw_if_stopped();
}

// Pending ranges of every job first, in arrival order; only then may an idle slot take over
// half of a running range.
void Engine::fill_slots(Clock::time_point now) {
  const auto capacity = static_cast<std::size_t>(options_.transfers);
  for (bool may_steal : {false, true}) {
    bool started = true;
    while (started && transfers_.size() < capacity) {
      started = false;
      for (const auto& job : jobs_) {
        if (transfers_.size() >= capacity) break;
        started = start_one(*job, now, may_steal) || started;
      }
    }
  }
}

bool Engine::start_one(Job& job, Clock::time_point now, bool may_steal) {
  const std::string host = host_of(job.record().url);
  if (per_host_[host] >= options_.per_host) return false;
  auto request = job.next_request(now, may_steal);
  if (!request) return false;
  auto transfer = std::make_unique<Transfer>(job, job.generation(), std::move(*request), options_,
                                             job.record().url);
  CURL* handle = transfer->handle();
  const CURLMcode code = curl_multi_add_handle(multi_.get(), handle);
  if (code != CURLM_OK)
    throw FatalError(std::string("curl_multi_add_handle: ") + curl_multi_strerror(code));
  transfers_.emplace(handle, std::move(transfer));
  ++per_host_[host];
  ++per_job_[&job];
  return true;
}

void Engine::drain_messages() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_.get(), &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    // The message dies with curl_multi_remove_handle: copy what we need first.
    CURL* handle = message->easy_handle;
    const CURLcode result = message->data.result;
    const auto found = transfers_.find(handle);
    if (found == transfers_.end()) continue;
    Transfer& transfer = *found->second;
    transfer.job().on_done(transfer, result, Clock::now());
    remove_transfer(handle);
  }
}

void Engine::drop_abandoned_transfers() {
  std::vector<CURL*> abandoned;
  for (const auto& [handle, transfer] : transfers_) {
    if (transfer->generation != transfer->job().generation()) abandoned.push_back(handle);
  }
  for (CURL* handle : abandoned) remove_transfer(handle);
}

void Engine::remove_transfer(CURL* handle) {
  const auto found = transfers_.find(handle);
  if (found == transfers_.end()) return;
  curl_multi_remove_handle(multi_.get(), handle);
  const Job& job = found->second->job();
  --per_host_[host_of(job.record().url)];
  if (--per_job_[&job] == 0) per_job_.erase(&job);
  transfers_.erase(found);
}

void Engine::collect_finished_jobs() {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    Job& job = **it;
    if (!job.is_finished() || per_job_.contains(&job)) {
      ++it;
      continue;
    }
    const auto tag = tags_.extract(&job);
    completions_.push_back(Completion{job.record(), tag.mapped(), job.take_result()});
    it = jobs_.erase(it);
  }
}

void Engine::save_progress_if_due(Clock::time_point now) {
  if (now < next_save_) return;
  for (const auto& job : jobs_) job->save_progress();
  next_save_ = now + std::chrono::milliseconds(options_.save_interval_ms);
}

void Engine::keep_partial_downloads() {
  for (const auto& job : jobs_) job->keep_for_resume();
}

int Engine::poll_timeout_ms(int wait_ms, Clock::time_point now) const {
  Clock::time_point until = std::min(now + std::chrono::milliseconds(wait_ms), next_save_);
  for (const auto& job : jobs_) {
    // A past time is work blocked by a cap: a finished transfer wakes the poll for it.
    const auto ready = job->next_ready_time();
    if (ready && *ready > now) until = std::min(until, *ready);
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, wait_ms));
}

}  // namespace dupipe::fetcher
