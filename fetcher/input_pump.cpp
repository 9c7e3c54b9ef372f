#include "fetcher/input_pump.hpp"

#include <pthread.h>
#include <signal.h>

#include <chrono>

namespace dupipe::fetcher {
namespace {

// True when SIGTERM has a handler (a stage's stop handler): only then may it interrupt a read.
bool has_stop_handler() {
  struct sigaction current {};
  return ::sigaction(SIGTERM, nullptr, &current) == 0 && current.sa_handler != SIG_DFL &&
         current.sa_handler != SIG_IGN;
}

}  // namespace

InputPump::InputPump(RecordReader& input, std::function<void()> wake, std::size_t capacity)
    : input_(input), wake_(std::move(wake)), capacity_(capacity), thread_([this] { read_all(); }) {}

InputPump::~InputPump() {
  std::unique_lock lock(mutex_);
  is_stopping_ = true;
  room_.notify_all();
  // A read blocked in read(2) or flock(2) ends with EINTR when a signal reaches this thread; the
  // stop handler only records it, and the reader then throws Interrupted. Bounded: 5 s.
  const bool can_interrupt = has_stop_handler();
  for (int i = 0; i < 100 && is_running_; ++i) {
    if (can_interrupt && i > 0) ::pthread_kill(thread_.native_handle(), SIGTERM);
    room_.wait_for(lock, std::chrono::milliseconds(50), [this] { return !is_running_; });
  }
  lock.unlock();
  thread_.join();
}

void InputPump::read_all() {
  try {
    bool is_first = true;
    while (true) {
      {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [this] { return lines_.size() < capacity_ || is_stopping_; });
        if (is_stopping_) break;
      }
      if (!is_first) input_.acknowledge();
      is_first = false;
      auto line = input_.read_line();
      const std::lock_guard lock(mutex_);
      if (!line) {
        is_eof_ = true;
        break;
      }
      lines_.push_back(std::move(*line));
      wake_();
    }
  } catch (...) {  // handed to the main thread, which rethrows it: nothing is swallowed
    const std::lock_guard lock(mutex_);
    failure_ = std::current_exception();
    is_eof_ = true;
  }
  const std::lock_guard lock(mutex_);
  is_running_ = false;
  room_.notify_all();
  wake_();
}

std::optional<std::string> InputPump::try_take() {
  const std::lock_guard lock(mutex_);
  if (lines_.empty()) {
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
    return std::nullopt;
  }
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  room_.notify_all();
  return line;
}

bool InputPump::is_finished() {
  const std::lock_guard lock(mutex_);
  return is_eof_ && lines_.empty() && !failure_;
}

}  // namespace dupipe::fetcher
