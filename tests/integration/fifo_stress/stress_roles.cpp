#include "tests/integration/fifo_stress/stress_roles.hpp"

#include <fcntl.h>

#include <charconv>
#include <memory>

#include "common/base/exit_code.hpp"
#include "common/os/sys.hpp"
#include "common/protocol/record_codec.hpp"
#include "common/transport/endpoint.hpp"
#include "common/transport/fd_endpoint.hpp"

namespace dupipe::fifo_stress {
namespace {

// Bad lines logged in full detail per reader; the rest are only counted.
constexpr std::size_t kBadLinesLogged = 5;
constexpr std::uint64_t kChunkSeedSalt = 0xc0ffee0ddba11ULL;

template <typename Number>
std::optional<Number> parse_number(std::string_view text) {
  Number value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

UniqueFd open_or_throw(const std::string& path, int flags, mode_t mode = 0) {
  auto fd = sys::open_file(path, flags, mode);
  if (!fd) throw FatalError(fd.error().message);
  return std::move(*fd);
}

int write_records(const Workload& workload, WriteMode mode, const std::string& fifo, int writer) {
  const auto out = open_writer((mode == WriteMode::kPacket ? "packet:" : "fifo:") + fifo);
  for (std::uint64_t seq = 0; seq < writer_share(workload, writer); ++seq) {
    out->write_line(make_line(writer, seq, make_payload(workload, writer, seq)));
  }
  return to_int(ExitCode::kOk);
}

// Like `cat`: the same framed lines, but each write(2) is a random 1..kMaxRecordBytes bytes that
// usually ends inside a record. Only correct with one writer: two would interleave mid-record.
int write_chunks(const Workload& workload, const std::string& fifo, int writer) {
  const UniqueFd out = open_or_throw(fifo, O_WRONLY);
  SplitMix64 random(workload.seed ^ kChunkSeedSalt);
  auto next_chunk = [&random] { return 1 + random.below(kMaxRecordBytes); };
  std::string pending;
  std::size_t chunk = next_chunk();
  for (std::uint64_t seq = 0; seq < writer_share(workload, writer); ++seq) {
    pending += make_line(writer, seq, make_payload(workload, writer, seq));
    pending += '\n';
    std::string_view unsent(pending);
    for (; unsent.size() >= chunk; chunk = next_chunk()) {
      value_or_fatal(sys::write_all(out.get(), unsent.substr(0, chunk), fifo));
      unsent.remove_prefix(chunk);
    }
    pending.erase(0, pending.size() - unsent.size());
  }
  value_or_fatal(
      sys::write_all(out.get(), pending, fifo));  // the tail is shorter than `chunk`, so one write
  return to_int(ExitCode::kOk);
}

// A line is good only if it decodes into exactly {"T", writer, seq, payload} of this workload.
std::optional<Delivery> decode_record(std::string_view line, const Workload& workload) {
  const auto fields = decode_fields(line);
  if (!fields || fields->size() != 4 || (*fields)[0] != "T") return std::nullopt;
  const auto writer = parse_number<int>((*fields)[1]);
  const auto seq = parse_number<std::uint64_t>((*fields)[2]);
  if (!writer || *writer < 0 || *writer >= workload.writers || !seq) return std::nullopt;
  if (*seq >= writer_share(workload, *writer)) return std::nullopt;
  return Delivery{*writer, *seq, payload_hash((*fields)[3])};
}

// Printable ASCII as is, every other byte (and the backslash) as \xHH: safe in a log line.
std::string printable(std::string_view bytes) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out += c;
    } else {
      out += {'\\', 'x', kHex[byte >> 4], kHex[byte & 0x0f]};
    }
  }
  return out;
}

std::string describe_bad_line(std::uint64_t line_number, std::string_view line) {
  constexpr std::size_t kShown = 48;
  return "line " + std::to_string(line_number) + " (" + std::to_string(line.size()) +
         " bytes) is not a whole record: starts '" + printable(line.substr(0, kShown)) + "'";
}

}  // namespace

std::string format_delivery(const Delivery& delivery) {
  return std::to_string(delivery.writer) + ' ' + std::to_string(delivery.seq) + ' ' +
         std::to_string(delivery.hash);
}

std::optional<Delivery> parse_delivery(std::string_view line) {
  const std::size_t first = line.find(' ');
  const std::size_t second = line.find(' ', first == std::string_view::npos ? first : first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto writer = parse_number<int>(line.substr(0, first));
  const auto seq = parse_number<std::uint64_t>(line.substr(first + 1, second - first - 1));
  const auto hash = parse_number<std::uint64_t>(line.substr(second + 1));
  if (!writer || !seq || !hash) return std::nullopt;
  return Delivery{*writer, *seq, *hash};
}

int run_writer(const Workload& workload, WriteMode mode, const std::string& fifo, int writer) {
  if (mode == WriteMode::kChunked) return write_chunks(workload, fifo, writer);
  return write_records(workload, mode, fifo, writer);
}

int run_reader(const Logger& log, UniqueFd input, const std::string& fifo, const Workload& workload,
               const std::string& result_path) {
  FdLineReader reader(std::move(input), fifo, /*is_shared=*/true);
  std::string results;
  std::uint64_t line_number = 0;
  std::uint64_t bad_lines = 0;
  while (const auto line = reader.read_line()) {
    ++line_number;
    if (const auto delivery = decode_record(*line, workload)) {
      results += format_delivery(*delivery);
      results += '\n';
    } else if (++bad_lines <= kBadLinesLogged) {
      log.error(fifo + ": " + describe_bad_line(line_number, *line));
    }
  }
  const UniqueFd out = open_or_throw(result_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  value_or_fatal(sys::write_all(out.get(), results, result_path));
  if (bad_lines == 0) return to_int(ExitCode::kOk);
  log.error(fifo + ": " + std::to_string(bad_lines) + " of " + std::to_string(line_number) +
            " lines were not whole records");
  return to_int(ExitCode::kProtocol);
}

}  // namespace dupipe::fifo_stress
