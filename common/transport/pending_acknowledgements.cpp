#include "common/transport/pending_acknowledgements.hpp"

namespace dupipe {

// One place is kept free for the next read, which the reader counts before add() sees it.
void PendingAcknowledgements::add(DeliveryTag tag) {
  tags_.push_back(tag);
  const std::size_t limit = reader_.max_in_flight();
  while (!tags_.empty() && tags_.size() >= limit) {
    reader_.acknowledge(tags_.front());
    tags_.pop_front();
  }
}

void PendingAcknowledgements::acknowledge_all() {
  while (!tags_.empty()) {
    reader_.acknowledge(tags_.front());
    tags_.pop_front();
  }
}

}  // namespace dupipe
