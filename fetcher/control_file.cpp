#include "fetcher/control_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <sstream>

#include "common/os/sys.hpp"

namespace dupipe::fetcher {
namespace {

constexpr std::string_view kMagic = "dupipe-control 1";
constexpr std::size_t kMaxControlBytes = 1 << 20;

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<Segment> parse_segment(std::string_view text) {
  std::array<std::uint64_t, 3> values{};
  for (std::uint64_t& value : values) {
    const std::size_t space = text.find(' ');
    const auto number = parse_number(text.substr(0, space));
    if (!number) return std::nullopt;
    value = *number;
    text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
  }
  if (!text.empty() || values[0] > values[1] || values[1] > values[2]) return std::nullopt;
  return Segment{values[0], values[1], values[2], SegmentState::kPending};
}

// The segments must tile [0, length) in order, without gaps or overlaps.
bool tiles_the_file(const ControlState& state) {
  std::uint64_t expected = 0;
  for (const Segment& s : state.segments) {
    if (s.begin != expected) return false;
    expected = s.end;
  }
  return expected == state.length && !state.segments.empty();
}

bool apply_line(ControlState& state, std::string_view key, std::string_view value) {
  if (key == "url") {
    state.url = value;
  } else if (key == "length") {
    const auto length = parse_number(value);
    if (!length) return false;
    state.length = *length;
  } else if (key == "etag") {
    state.etag = value;
  } else if (key == "last-modified") {
    state.last_modified = value;
  } else if (key == "segment") {
    const auto segment = parse_segment(value);
    if (!segment) return false;
    state.segments.push_back(*segment);
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string format_control(const ControlState& state) {
  std::ostringstream out;
  out << kMagic << "\nurl " << state.url << "\nlength " << state.length << "\netag " << state.etag
      << "\nlast-modified " << state.last_modified << '\n';
  for (const Segment& s : state.segments) {
    out << "segment " << s.begin << ' ' << s.next << ' ' << s.end << '\n';
  }
  return out.str();
}

std::optional<ControlState> parse_control(std::string_view text) {
  if (!text.starts_with(std::string(kMagic) + "\n")) return std::nullopt;
  text.remove_prefix(kMagic.size() + 1);
  ControlState state;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos) return std::nullopt;  // cut short: not ours to trust
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline + 1);
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    if (!apply_line(state, line.substr(0, space), line.substr(space + 1))) return std::nullopt;
  }
  if (state.url.empty() || !tiles_the_file(state)) return std::nullopt;
  return state;
}

// write + fsync + rename. The temporary name is fixed (not per process) because the part file's
// lock makes its owner the only writer, and a temporary left by a killed fetcher is then simply
// overwritten or removed with the part file.
Expected<void> save_control(const std::string& path, const ControlState& state) {
  const std::string temp_path = path + ".tmp";
  auto fd = sys::open_file(temp_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
  if (!fd) return tl::unexpected(fd.error());
  if (auto written = sys::write_all(fd->get(), format_control(state), temp_path); !written) {
    return written;
  }
  if (::fsync(fd->get()) != 0 || ::rename(temp_path.c_str(), path.c_str()) != 0) {
    return fail_errno("save " + path, errno);
  }
  return {};
}

std::optional<ControlState> load_control(const std::string& path) {
  auto fd = sys::open_file(path, O_RDONLY | O_NOFOLLOW);
  if (!fd) return std::nullopt;
  std::string text;
  std::array<char, 4096> chunk{};
  while (text.size() <= kMaxControlBytes) {
    const auto n = sys::read_some(fd->get(), chunk, path);
    if (!n) return std::nullopt;  // unreadable, like a missing one: start from zero
    if (*n == 0) return parse_control(text);
    text.append(chunk.data(), *n);
  }
  return std::nullopt;
}

}  // namespace dupipe::fetcher
