// Deliveries a stage has read but whose output is not out yet, for stages that emit what several
// records produce together (a hasher's group, the grouper's size barrier): add() each tag, then
// acknowledge_all() once the output derived from them has been written. A transport tracks at
// most reader.max_in_flight() deliveries (shm: 16); when add() would exceed that, the oldest is
// acknowledged early: for a group larger than the bound, a reader killed mid-group leaves no
// orphan for the group's head. Not thread-safe; borrows the reader.
#pragma once

#include <deque>

#include "common/transport/endpoint.hpp"

namespace dupipe {

class PendingAcknowledgements {
 public:
  explicit PendingAcknowledgements(RecordReader& reader) : reader_(reader) {}

  void add(DeliveryTag tag);
  void acknowledge_all();
  [[nodiscard]] std::size_t size() const { return tags_.size(); }

 private:
  RecordReader& reader_;
  std::deque<DeliveryTag> tags_;
};

}  // namespace dupipe
