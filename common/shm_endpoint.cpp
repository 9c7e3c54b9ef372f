#include "common/shm_endpoint.hpp"

namespace dupipe {

ShmLineReader::ShmLineReader(ShmQueue queue)
    : name_("shm:" + queue.name()), reader_(std::move(queue)) {}

ShmLineWriter::ShmLineWriter(ShmQueue queue)
    : name_("shm:" + queue.name()), writer_(std::move(queue)) {}

}  // namespace dupipe
