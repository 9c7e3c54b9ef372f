// The IPC channels bench/ipc compares, behind one small interface. A Channel is made in the parent
// before fork(); each child then opens one end (open_sender / open_receiver), and the parent calls
// release_parent_ends() once every child is forked, so that end of stream works as in real use.
// Receivers count records; a channel that has no end-of-stream of its own (Boost message_queue)
// gets one empty "stop" message per receiver from finish_senders().
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dupipe::bench {

class Sender {
 public:
  virtual ~Sender() = default;  // closes this end: the last sender closing ends the stream
  virtual void send(std::string_view record) = 0;
  virtual void flush() {}  // a batching sender sends what it holds (the ping-pong needs it)
};

class Receiver {
 public:
  virtual ~Receiver() = default;
  // Receives one record or a run of bytes into `buffer`; returns the bytes got, 0 at end of stream.
  virtual std::size_t receive(std::string& buffer) = 0;
};

class Channel {
 public:
  virtual ~Channel() = default;
  [[nodiscard]] virtual std::unique_ptr<Sender> open_sender() = 0;
  [[nodiscard]] virtual std::unique_ptr<Receiver> open_receiver() = 0;
  virtual void release_parent_ends() {}
  virtual void finish_senders(int /*receivers*/) {}
};

struct ChannelKind {
  std::string name;
  // senders: how many processes will send (the shm queue needs it for its end of stream).
  std::unique_ptr<Channel> (*make)(const std::string& scratch, int senders,
                                   std::size_t record_bytes);
};

// Every channel of the table, in its order.
[[nodiscard]] const std::vector<ChannelKind>& channel_kinds();

}  // namespace dupipe::bench
