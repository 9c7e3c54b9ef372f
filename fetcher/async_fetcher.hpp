// What the fetcher stage loop drives: something that accepts URL records while it has free
// slots and hands back completions as they finish, in any order. The curl Engine in
// production; SerialFetcher adapts a one-at-a-time UrlFetcher (the fakes of the unit tests).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "common/base/error.hpp"
#include "common/protocol/records.hpp"
#include "common/transport/endpoint.hpp"
#include "fetcher/job.hpp"

namespace dupipe::fetcher {

struct Completion {
  UrlRecord record;
  DeliveryTag tag;  // the input delivery the record came from, acknowledged once output is out
  Expected<DownloadedFile> result;
};

// A record whose server answered 429 or 503: it is tried again after `wait`.
struct BusyHost {
  UrlRecord record;
  std::chrono::milliseconds wait{0};
};

class AsyncFetcher {
 public:
  virtual ~AsyncFetcher() = default;
  [[nodiscard]] virtual std::size_t free_slots() const = 0;
  // `tag` comes back in the record's Completion.
  virtual void start(UrlRecord record, DeliveryTag tag) = 0;
  // Moves the transfers on; waits up to `wait_ms` for something to happen (or wake()).
  virtual void progress(int wait_ms) = 0;
  [[nodiscard]] virtual std::vector<Completion> take_completions() = 0;
  // The records answered 429 or 503 since the last call (each answer once).
  [[nodiscard]] virtual std::vector<BusyHost> take_busy_hosts() { return {}; }
  [[nodiscard]] virtual bool is_idle() const = 0;
  // Thread-safe: ends a wait in progress() early.
  virtual void wake() = 0;
  // The stage is being stopped (signal): keep what a later --resume can continue.
  virtual void keep_partial_downloads() {}
};

// Turns a URL record into a file, one at a time; a fake in tests.
class UrlFetcher {
 public:
  virtual ~UrlFetcher() = default;
  [[nodiscard]] virtual Expected<DownloadedFile> fetch(const UrlRecord& record) = 0;
};

class SerialFetcher final : public AsyncFetcher {
 public:
  explicit SerialFetcher(UrlFetcher& fetcher) : fetcher_(fetcher) {}
  [[nodiscard]] std::size_t free_slots() const override { return 1; }
  void start(UrlRecord record, DeliveryTag tag) override {
    auto result = fetcher_.fetch(record);
    completions_.push_back(Completion{std::move(record), tag, std::move(result)});
  }
  void progress(int wait_ms) override {
    std::unique_lock lock(mutex_);
    woken_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return is_woken_; });
    is_woken_ = false;
  }
  [[nodiscard]] std::vector<Completion> take_completions() override {
    return std::exchange(completions_, {});
  }
  [[nodiscard]] bool is_idle() const override { return true; }
  void wake() override {
    const std::lock_guard lock(mutex_);
    is_woken_ = true;
    woken_.notify_one();
  }

 private:
  UrlFetcher& fetcher_;
  std::vector<Completion> completions_;
  std::mutex mutex_;
  std::condition_variable woken_;
  bool is_woken_ = false;
};

}  // namespace dupipe::fetcher
