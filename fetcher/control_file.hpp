// The control file beside a partial download (".part-<id>.ctl"), like aria2's ".aria2": which
// byte ranges of the pre-allocated file are written, and the validator (ETag, Last-Modified) and
// length they belong to. Saved with write + fsync + rename after the data was fdatasync'd, so the
// file never claims bytes that are not on disk. A text format, one field per line:
//   dupipe-control 1 / url U / length N / etag E / last-modified L / segment BEGIN NEXT END ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/error.hpp"
#include "fetcher/segment_plan.hpp"

namespace dupipe::fetcher {

struct ControlState {
  std::string url;
  std::uint64_t length = 0;
  std::string etag;               // empty: the server sent none
  std::string last_modified;      // empty: the server sent none
  std::vector<Segment> segments;  // states are not stored: on load every segment is pending
};

[[nodiscard]] std::string format_control(const ControlState& state);

// nullopt for anything that is not a consistent control file (the download then restarts).
[[nodiscard]] std::optional<ControlState> parse_control(std::string_view text);

// Saves atomically (temp + fsync + rename).
[[nodiscard]] Expected<void> save_control(const std::string& path, const ControlState& state);

// nullopt if the file is missing, unreadable or inconsistent.
[[nodiscard]] std::optional<ControlState> load_control(const std::string& path);

}  // namespace dupipe::fetcher
