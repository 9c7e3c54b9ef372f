#include "common/transport/shm_endpoint.hpp"

namespace dupipe {

ShmLineReader::ShmLineReader(ShmQueue queue)
    : name_("shm:" + queue.name()), reader_(std::move(queue)) {}

ReadResult ShmLineReader::read_until(ReadDeadline deadline) {
  Received received = reader_.take_until(deadline);
  switch (received.status) {
    case ReceiveStatus::kRecord:
      return {ReadStatus::kRecord,
              Delivery{std::move(received.record), DeliveryTag{received.id.value + 1}}};
    case ReceiveStatus::kEndOfStream:
      return {ReadStatus::kEndOfStream, {}};
    case ReceiveStatus::kTimedOut:
      break;
  }
  return {ReadStatus::kTimedOut, {}};
}

void ShmLineReader::acknowledge(DeliveryTag tag) {
  if (tag.value == 0) throw FatalError(name_ + ": acknowledge of an empty delivery tag");
  reader_.acknowledge(RingPosition{tag.value - 1});
}

ShmLineWriter::ShmLineWriter(ShmQueue queue)
    : name_("shm:" + queue.name()), writer_(std::move(queue)) {}

}  // namespace dupipe
