#include "fetcher/input_pump.hpp"

#include <chrono>
#include <csignal>

#include "common/os/signals.hpp"

namespace dupipe::fetcher {
namespace {

// How long the destructor lets the reader finish on its own before it asks for a stop.
constexpr auto kGraceBeforeStop = std::chrono::milliseconds(20);

}  // namespace

InputPump::InputPump(RecordReader& input, std::function<void()> wake, std::size_t capacity)
    : input_(input), wake_(std::move(wake)), capacity_(capacity), thread_([this] { read_all(); }) {}

// The reader ends by itself when it waits for room (the notify), at the end of the input, or on
// a stop signal: every read of an endpoint waits on the stop descriptor too (an shm wait looks at
// the stop flag every 20 ms). Still blocked after a grace period, it waits for input while the
// stage is leaving for another reason (a failed write, say): request_stop() then does what a
// SIGTERM would, and the read throws Interrupted, which is dropped with the pump (the main
// thread's own exception decides the exit code). So join() returns within about 20 ms plus one
// read, and no signal is ever sent.
InputPump::~InputPump() {
  std::unique_lock lock(mutex_);
  is_stopping_ = true;
  room_.notify_all();
  if (!room_.wait_for(lock, kGraceBeforeStop, [this] { return !is_running_; })) {
    request_stop(SIGTERM);
  }
  lock.unlock();
  thread_.join();
}

void InputPump::read_all() {
  try {
    const std::size_t max_in_flight = input_.max_in_flight();
    while (true) {
      {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [&] {
          return (lines_.size() < capacity_ && unacknowledged_ < max_in_flight) || is_stopping_;
        });
        if (is_stopping_) break;
      }
      auto delivery = input_.read();
      const std::lock_guard lock(mutex_);
      if (!delivery) {
        is_eof_ = true;
        break;
      }
      ++unacknowledged_;
      lines_.push_back(std::move(*delivery));
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

std::optional<Delivery> InputPump::try_take() {
  const std::lock_guard lock(mutex_);
  if (lines_.empty()) {
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
    return std::nullopt;
  }
  Delivery delivery = std::move(lines_.front());
  lines_.pop_front();
  room_.notify_all();
  return delivery;
}

// Outside the lock: an endpoint's acknowledge may take a while (a broker round trip), and the
// reading thread must not wait for it to queue the next delivery.
void InputPump::acknowledge(DeliveryTag tag) {
  input_.acknowledge(tag);
  const std::lock_guard lock(mutex_);
  --unacknowledged_;
  room_.notify_all();
}

bool InputPump::is_finished() {
  const std::lock_guard lock(mutex_);
  return is_eof_ && lines_.empty() && !failure_;
}

}  // namespace dupipe::fetcher
