#include "common/transport/batching_writer.hpp"

#include "common/protocol/record_codec.hpp"

namespace dupipe {

void BatchingWriter::write_line(std::string_view line) {
  if (!is_enabled_) {
    inner_->write_line(line);
    return;
  }
  const std::size_t separator = pending_.empty() ? 0 : 1;
  // +1 for the LF the inner writer adds after the batch.
  if (!pending_.empty() && pending_.size() + separator + line.size() + 1 > kMaxRecordBytes) flush();
  if (!pending_.empty()) pending_ += '\n';
  pending_ += line;
}

void BatchingWriter::flush() {
  pending_work_bytes_ = 0;
  if (pending_.empty()) return;
  inner_->write_line(pending_);
  pending_.clear();
}

void BatchingWriter::add_work(std::uint64_t bytes) {
  pending_work_bytes_ += bytes;
  if (pending_work_bytes_ >= kMaxBatchWorkBytes) flush();
}

bool wants_batching(std::string_view endpoint) {
  const auto spec = parse_endpoint(endpoint);
  if (!spec) return false;
  switch (spec->kind) {
    case EndpointKind::kStdio:
    case EndpointKind::kPath:
    case EndpointKind::kFifo:
    case EndpointKind::kPacketFifo:
      return true;
    case EndpointKind::kShm:
      return false;
  }
  return false;
}

}  // namespace dupipe
