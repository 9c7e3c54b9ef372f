// Reads the fetcher's input on a thread of its own, so that a blocking read (a FIFO shared with
// other fetchers, under its flock) never stalls the transfers in progress. It reads ahead at
// most `capacity` deliveries and wakes the engine for each. The RecordReader reads on this
// thread only, from construction to the end of the input; the stage loop acknowledges each
// delivery through acknowledge() once its output is written (the endpoint contract lets an
// acknowledgement run beside a read). It never has more deliveries unacknowledged than the
// reader's max_in_flight(): beyond that it waits for an acknowledgement before it reads.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/transport/endpoint.hpp"

namespace dupipe::fetcher {

class InputPump {
 public:
  InputPump(RecordReader& input, std::function<void()> wake, std::size_t capacity);
  InputPump(const InputPump&) = delete;
  InputPump& operator=(const InputPump&) = delete;
  // Ends the thread: at once if it waits for room or a stop was requested; if it is blocked in a
  // read with no stop pending, after 20 ms by request_stop() (see input_pump.cpp).
  ~InputPump();

  // The next delivery read, without waiting. Rethrows what stopped the reader (FatalError,
  // Interrupted) once the deliveries before it have been taken.
  [[nodiscard]] std::optional<Delivery> try_take();
  // Everything derived from a taken delivery has been written (main thread).
  void acknowledge(DeliveryTag tag);
  // The input ended and every line has been taken.
  [[nodiscard]] bool is_finished();

 private:
  void read_all();

  RecordReader& input_;
  std::function<void()> wake_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable room_;
  std::deque<Delivery> lines_;
  std::size_t unacknowledged_ = 0;  // read, queued or taken, not yet acknowledged
  bool is_eof_ = false;
  bool is_stopping_ = false;
  bool is_running_ = true;
  std::exception_ptr failure_;
  std::thread thread_;  // last: starts after every member it uses is ready
};

}  // namespace dupipe::fetcher
