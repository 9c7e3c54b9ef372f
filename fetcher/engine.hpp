// Runs many downloads at once in one thread with the libcurl multi interface, in the shape of
// curl's 10-at-a-time.c: start transfers up to --transfers (at most --per-host to one host),
// perform, drain curl_multi_info_read, refill, wait in curl_multi_poll. Connections and DNS
// results are cached in the multi handle and reused across transfers. wake() may be called from
// another thread (the input pump) to end a wait early; everything else is single-threaded.
#pragma once

#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/base/logger.hpp"
#include "common/os/c_handles.hpp"
#include "fetcher/async_fetcher.hpp"
#include "fetcher/job.hpp"

namespace dupipe::fetcher {

class Engine final : public AsyncFetcher {
 public:
  Engine(DownloadOptions options, const Logger& logger);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine() override;

  [[nodiscard]] std::size_t free_slots() const override;
  void start(UrlRecord record, DeliveryTag tag) override;
  // Throws Interrupted on a stop signal; its wait in curl_multi_poll also polls stop_fd().
  void progress(int wait_ms) override;
  [[nodiscard]] std::vector<Completion> take_completions() override;
  [[nodiscard]] std::vector<BusyHost> take_busy_hosts() override;
  [[nodiscard]] bool is_idle() const override { return jobs_.empty(); }
  void wake() override;
  void keep_partial_downloads() override;

 private:
  void fill_slots(Clock::time_point now);
  [[nodiscard]] bool start_one(Job& job, Clock::time_point now, bool may_steal);
  void drain_messages();
  void drop_abandoned_transfers();
  void collect_finished_jobs();
  void save_progress_if_due(Clock::time_point now);
  [[nodiscard]] int poll_timeout_ms(int wait_ms, Clock::time_point now) const;
  void remove_transfer(CURL* handle);

  DownloadOptions options_;
  const Logger& logger_;
  CurlMulti multi_;      // declared first: destroyed after every transfer has been removed from it
  ProgressSaver saver_;  // before jobs_: outlives every Job that refers to it
  std::vector<std::unique_ptr<Job>> jobs_;  // in arrival order
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::map<std::string, int> per_host_;
  std::unordered_map<const Job*, int> per_job_;
  std::unordered_map<const Job*, DeliveryTag> tags_;
  std::vector<Completion> completions_;
  std::uint64_t next_serial_ = 0;
  Clock::time_point next_save_;
};

}  // namespace dupipe::fetcher
