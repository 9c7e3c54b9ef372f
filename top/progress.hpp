// The launcher's one-line progress bar (dupipe-top --progress): URLs done of the total, downloaded
// bytes, rates and ETA, from two samples of a run's live counters. Pure: the caller prints it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "top/monitor.hpp"

namespace dupipe::top {

struct Progress {
  std::uint64_t done = 0;       // URLs finished, either way (count_urls: once each over passes)
  std::uint64_t total = 0;      // URLs the producers sent so far, or accounted before
  bool is_total_known = false;  // this pass's producer has finished
  std::uint64_t bytes = 0;      // downloaded: sizes of the fetchers' P records
  double seconds = 0;           // since the first sample
  double rate = 0;              // URLs done per second since the first sample
  std::optional<double> eta_s;
};

// Averages since `first` (steadier than the last interval for an ETA).
[[nodiscard]] Progress progress_of(const RunSample& now, const RunSample& first);

// At most `width` columns, e.g. "[#######.............]  35/100 URLs  1.2 MiB  7.0/s  240 KiB/s ETA
// 9 s"
[[nodiscard]] std::string progress_line(const Progress& progress, std::size_t width);

[[nodiscard]] std::string human_bytes(double bytes);

}  // namespace dupipe::top
