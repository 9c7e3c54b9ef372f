#include "common/transport/endpoint.hpp"

#include <fcntl.h>

#include "common/os/sys.hpp"
#include "common/transport/fd_endpoint.hpp"
#include "common/transport/shm_endpoint.hpp"

namespace dupipe {
namespace {

struct Scheme {
  std::string_view prefix;
  EndpointKind kind;
};

constexpr Scheme kSchemes[] = {
    {"fifo:", EndpointKind::kFifo},
    {"packet:", EndpointKind::kPacketFifo},
    {"shm:", EndpointKind::kShm},
};

UniqueFd open_or_throw(const std::string& path, int flags, std::string_view role) {
  auto fd = sys::open_file(path, flags, 0644);
  if (!fd) {
    throw FatalError(
        Error{"cannot open " + std::string(role) + " " + fd.error().message, fd.error().errnum});
  }
  return std::move(*fd);
}

void require_fifo(const EndpointSpec& spec, const UniqueFd& fd) {
  const bool wants_fifo =
      spec.kind == EndpointKind::kFifo || spec.kind == EndpointKind::kPacketFifo;
  if (wants_fifo && !sys::is_fifo(fd.get())) throw FatalError(spec.target + ": not a FIFO");
}

EndpointSpec parse_or_throw(std::string_view text) {
  auto spec = parse_endpoint(text);
  if (!spec) throw FatalError(spec.error().message, ExitCode::kUsage);
  return *spec;
}

}  // namespace

std::optional<Delivery> RecordReader::read() {
  ReadResult result = read_until(std::nullopt);
  if (result.status != ReadStatus::kRecord) return std::nullopt;
  return std::move(result.delivery);
}

ReadResult RecordReader::read_for(std::chrono::milliseconds timeout) {
  return read_until(std::chrono::steady_clock::now() + timeout);
}

std::optional<std::string> RecordReader::read_line() {
  auto delivery = read();
  if (!delivery) return std::nullopt;
  acknowledge(delivery->tag);
  return std::move(delivery->line);
}

Expected<EndpointSpec> parse_endpoint(std::string_view spec) {
  if (spec.empty() || spec == "-") return EndpointSpec{EndpointKind::kStdio, ""};
  for (const Scheme& scheme : kSchemes) {
    if (spec.starts_with(scheme.prefix)) {
      std::string target(spec.substr(scheme.prefix.size()));
      if (target.empty()) return fail("endpoint '" + std::string(spec) + "' names nothing");
      return EndpointSpec{scheme.kind, std::move(target)};
    }
  }
  return EndpointSpec{EndpointKind::kPath, std::string(spec)};
}

std::unique_ptr<RecordReader> open_reader(std::string_view text) {
  const EndpointSpec spec = parse_or_throw(text);
  if (spec.kind == EndpointKind::kShm)
    return std::make_unique<ShmLineReader>(ShmQueue::open(spec.target));
  if (spec.kind == EndpointKind::kStdio) {
    return std::make_unique<FdLineReader>(value_or_fatal(sys::duplicate_fd(0, "stdin")), "stdin",
                                          sys::is_fifo(0));
  }
  // Opening a FIFO for reading blocks until a writer opens it (the launcher holds one open).
  UniqueFd fd = open_or_throw(spec.target, O_RDONLY, "input");
  require_fifo(spec, fd);
  const bool is_shared = sys::is_fifo(fd.get());
  return std::make_unique<FdLineReader>(std::move(fd), spec.target, is_shared);
}

std::unique_ptr<RecordWriter> open_writer(std::string_view text) {
  const EndpointSpec spec = parse_or_throw(text);
  if (spec.kind == EndpointKind::kShm)
    return std::make_unique<ShmLineWriter>(ShmQueue::open(spec.target));
  if (spec.kind == EndpointKind::kStdio) {
    return std::make_unique<FdLineWriter>(value_or_fatal(sys::duplicate_fd(1, "stdout")), "stdout",
                                          false);
  }
  const int flags = spec.kind == EndpointKind::kPath ? O_WRONLY | O_CREAT | O_TRUNC : O_WRONLY;
  UniqueFd fd = open_or_throw(spec.target, flags, "output");
  require_fifo(spec, fd);
  return std::make_unique<FdLineWriter>(std::move(fd), spec.target,
                                        spec.kind == EndpointKind::kPacketFifo);
}

void write_record(RecordWriter& writer, const Record& record) {
  auto line = format_record(record);
  if (!line) throw FatalError(writer.name() + ": " + line.error().message);
  writer.write_line(*line);
}

}  // namespace dupipe
