#include "bench/ipc/channels.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <cerrno>
#include <span>
#include <stdexcept>

#include "common/os/sys.hpp"
#include "common/os/unique_fd.hpp"
#include "common/shm/shm_queue.hpp"
#include "common/transport/endpoint.hpp"

namespace dupipe::bench {
namespace {

namespace bip = boost::interprocess;

constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kQueueBytes = 1 << 20;  // message_queue and shm ring: 1 MiB each

// --- a pipe or a stream socket pair: raw write(2) per record, reads of up to 64 KiB ---------

class FdSender final : public Sender {
 public:
  explicit FdSender(UniqueFd fd) : fd_(std::move(fd)) {}
  void send(std::string_view record) override {
    value_or_fatal(sys::write_all(fd_.get(), record, "bench"));
  }

 private:
  UniqueFd fd_;
};

class FdReceiver final : public Receiver {
 public:
  explicit FdReceiver(UniqueFd fd) : fd_(std::move(fd)) {}
  std::size_t receive(std::string& buffer) override {
    buffer.resize(kChunkBytes);
    return value_or_fatal(
        sys::read_some(fd_.get(), std::span<char>(buffer.data(), buffer.size()), "bench"));
  }

 private:
  UniqueFd fd_;
};

// fds[0] is the reading end, fds[1] the writing end; each child keeps only its own.
class FdPairChannel final : public Channel {
 public:
  explicit FdPairChannel(bool is_socket) {
    int fds[2];
    const int rc = is_socket ? ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds)
                             : ::pipe2(fds, O_CLOEXEC);
    if (rc != 0) throw std::runtime_error("pipe/socketpair failed");
    read_end_ = UniqueFd(fds[0]);
    write_end_ = UniqueFd(fds[1]);
  }
  std::unique_ptr<Sender> open_sender() override {
    read_end_.reset();
    return std::make_unique<FdSender>(std::move(write_end_));
  }
  std::unique_ptr<Receiver> open_receiver() override {
    write_end_.reset();
    return std::make_unique<FdReceiver>(std::move(read_end_));
  }
  void release_parent_ends() override {
    read_end_.reset();
    write_end_.reset();
  }

 private:
  UniqueFd read_end_;
  UniqueFd write_end_;
};

// --- dupipe's FIFO channel: the stages' own endpoints over a named FIFO ---------------------

class LineSender final : public Sender {
 public:
  explicit LineSender(std::unique_ptr<RecordWriter> writer) : writer_(std::move(writer)) {}
  // A record of n bytes travels as a line of n - 1 bytes plus its newline.
  void send(std::string_view record) override { writer_->write_line(record.substr(1)); }

 private:
  std::unique_ptr<RecordWriter> writer_;
};

class LineReceiver final : public Receiver {
 public:
  explicit LineReceiver(std::unique_ptr<RecordReader> reader) : reader_(std::move(reader)) {}
  std::size_t receive(std::string& buffer) override {
    auto delivery = reader_->read();
    if (!delivery) return 0;
    buffer = std::move(delivery->line);
    reader_->acknowledge(delivery->tag);
    return buffer.size() + 1;
  }

 private:
  std::unique_ptr<RecordReader> reader_;
};

class DupipeFifoChannel final : public Channel {
 public:
  DupipeFifoChannel(const std::string& scratch, std::string writer_scheme)
      : path_(scratch + "/bench.fifo"), writer_scheme_(std::move(writer_scheme)) {
    if (::mkfifo(path_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo " + path_);
  }
  ~DupipeFifoChannel() override { ::unlink(path_.c_str()); }
  std::unique_ptr<Sender> open_sender() override {
    return std::make_unique<LineSender>(open_writer(writer_scheme_ + path_));
  }
  std::unique_ptr<Receiver> open_receiver() override {
    return std::make_unique<LineReceiver>(open_reader("fifo:" + path_));
  }

 private:
  std::string path_;
  std::string writer_scheme_;
};

// --- Boost.Interprocess message_queue: one message per record, an empty one means stop -----

class MqSender final : public Sender {
 public:
  explicit MqSender(const std::string& name) : queue_(bip::open_only, name.c_str()) {}
  void send(std::string_view record) override { queue_.send(record.data(), record.size(), 0); }

 private:
  bip::message_queue queue_;
};

class MqReceiver final : public Receiver {
 public:
  explicit MqReceiver(const std::string& name) : queue_(bip::open_only, name.c_str()) {}
  std::size_t receive(std::string& buffer) override {
    buffer.resize(queue_.get_max_msg_size());
    bip::message_queue::size_type got = 0;
    unsigned priority = 0;
    queue_.receive(buffer.data(), buffer.size(), got, priority);
    return got;
  }

 private:
  bip::message_queue queue_;
};

class BoostMqChannel final : public Channel {
 public:
  BoostMqChannel(std::size_t record_bytes)
      : name_(make_shm_name("bench-mq")),
        queue_(bip::create_only, name_.c_str(), kQueueBytes / record_bytes, record_bytes,
               bip::permissions(0600)) {}
  ~BoostMqChannel() override { bip::message_queue::remove(name_.c_str()); }
  std::unique_ptr<Sender> open_sender() override { return std::make_unique<MqSender>(name_); }
  std::unique_ptr<Receiver> open_receiver() override { return std::make_unique<MqReceiver>(name_); }
  void finish_senders(int receivers) override {
    for (int i = 0; i < receivers; ++i) queue_.send("", 0, 0);
  }

 private:
  std::string name_;
  bip::message_queue queue_;
};

// --- dupipe's shared-memory queue ----------------------------------------------------------

class ShmSender final : public Sender {
 public:
  explicit ShmSender(const std::string& name) : writer_(ShmQueue::open(name)) {}
  void send(std::string_view record) override { writer_.send(record); }

 private:
  ShmQueueWriter writer_;
};

class ShmReceiver final : public Receiver {
 public:
  explicit ShmReceiver(const std::string& name) : reader_(ShmQueue::open(name)) {}
  std::size_t receive(std::string& buffer) override {
    auto record = reader_.receive();
    if (!record) return 0;
    buffer = std::move(*record);
    return buffer.size();
  }

 private:
  ShmQueueReader reader_;
};

// Collects up to kBatchRecords records (copied) and sends them with one send_batch.
class ShmBatchSender final : public Sender {
 public:
  explicit ShmBatchSender(const std::string& name) : writer_(ShmQueue::open(name)) {}
  ~ShmBatchSender() override { flush(); }
  void send(std::string_view record) override {
    records_[count_].assign(record);
    if (++count_ == kBatchRecords) flush();
  }
  void flush() override {
    std::array<std::string_view, kBatchRecords> views;
    for (std::size_t i = 0; i < count_; ++i) views[i] = records_[i];
    writer_.send_batch(std::span(views.data(), count_));
    count_ = 0;
  }

 private:
  static constexpr std::size_t kBatchRecords = 32;
  ShmQueueWriter writer_;
  std::array<std::string, kBatchRecords> records_;
  std::size_t count_ = 0;
};

// Takes up to 64 records per receive_batch and hands them out one by one.
class ShmBatchReceiver final : public Receiver {
 public:
  explicit ShmBatchReceiver(const std::string& name) : reader_(ShmQueue::open(name)) {}
  std::size_t receive(std::string& buffer) override {
    if (next_ == batch_.size()) {
      batch_ = reader_.receive_batch(64);
      next_ = 0;
      if (batch_.empty()) return 0;
    }
    buffer.assign(batch_[next_++]);
    return buffer.size();
  }

 private:
  ShmQueueReader reader_;
  std::span<const std::string_view> batch_;
  std::size_t next_ = 0;
};

class DupipeShmChannel final : public Channel {
 public:
  DupipeShmChannel(int senders, bool is_batched)
      : name_(make_shm_name("bench")),
        queue_(ShmQueue::create(
            name_, {kQueueBytes, static_cast<std::uint32_t>(senders), 16, std::nullopt})),
        is_batched_(is_batched) {}
  ~DupipeShmChannel() override { (void)ShmQueue::remove(name_); }
  std::unique_ptr<Sender> open_sender() override {
    if (is_batched_) return std::make_unique<ShmBatchSender>(name_);
    return std::make_unique<ShmSender>(name_);
  }
  std::unique_ptr<Receiver> open_receiver() override {
    if (is_batched_) return std::make_unique<ShmBatchReceiver>(name_);
    return std::make_unique<ShmReceiver>(name_);
  }

 private:
  std::string name_;
  ShmQueue queue_;
  bool is_batched_;
};

}  // namespace

const std::vector<ChannelKind>& channel_kinds() {
  static const std::vector<ChannelKind> kinds{
      {"anonymous pipe",
       [](const std::string&, int, std::size_t) -> std::unique_ptr<Channel> {
         return std::make_unique<FdPairChannel>(false);
       }},
      {"Unix-domain socket (stream)",
       [](const std::string&, int, std::size_t) -> std::unique_ptr<Channel> {
         return std::make_unique<FdPairChannel>(true);
       }},
      {"dupipe FIFO (byte stream)",
       [](const std::string& scratch, int, std::size_t) -> std::unique_ptr<Channel> {
         return std::make_unique<DupipeFifoChannel>(scratch, "fifo:");
       }},
      {"dupipe FIFO (packet mode)",
       [](const std::string& scratch, int, std::size_t) -> std::unique_ptr<Channel> {
         return std::make_unique<DupipeFifoChannel>(scratch, "packet:");
       }},
      {"Boost message_queue",
       [](const std::string&, int, std::size_t record_bytes) -> std::unique_ptr<Channel> {
         return std::make_unique<BoostMqChannel>(record_bytes);
       }},
      {"dupipe shm queue",
       [](const std::string&, int senders, std::size_t) -> std::unique_ptr<Channel> {
         return std::make_unique<DupipeShmChannel>(senders, false);
       }},
      {"dupipe shm queue (batches)",
       [](const std::string&, int senders, std::size_t) -> std::unique_ptr<Channel> {
         return std::make_unique<DupipeShmChannel>(senders, true);
       }},
  };
  return kinds;
}

}  // namespace dupipe::bench
