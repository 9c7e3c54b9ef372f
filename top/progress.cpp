#include "top/progress.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace dupipe::top {
namespace {

std::string duration_text(double seconds) {
  const auto total = static_cast<unsigned long long>(seconds + 0.5);
  std::array<char, 32> text{};
  if (total < 60) {
    std::snprintf(text.data(), text.size(), "%llu s", total);
  } else if (total < 3600) {
    std::snprintf(text.data(), text.size(), "%llu:%02llu", total / 60, total % 60);
  } else {
    std::snprintf(text.data(), text.size(), "%llu:%02llu:%02llu", total / 3600, total / 60 % 60,
                  total % 60);
  }
  return text.data();
}

std::string bar(double fraction, std::size_t width) {
  const auto filled =
      static_cast<std::size_t>(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(width) + 0.5);
  std::string text(1, '[');  // appends: GCC 12 warns (-Wrestrict, a false alarm) on "[" + string
  text.append(filled, '#');
  text.append(width - filled, '.');
  text += ']';
  return text;
}

}  // namespace

std::string human_bytes(double bytes) {
  constexpr std::array<const char*, 5> kUnits{"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return text.data();
}

Progress progress_of(const RunSample& now, const RunSample& first) {
  Progress p;
  const UrlCounts counts = count_urls(now);
  p.total = counts.total;
  p.done = counts.done;
  p.is_total_known = counts.is_total_known;
  for (const StageSnapshot& stage : now.stages) {
    if (stage.role == "fetcher") p.bytes += stage.payload_bytes;
  }
  // What a resumed run found accounted is not this run's work: the rate counts from the first
  // sample.
  const std::uint64_t done_at_first = std::min(count_urls(first).done, p.done);
  p.seconds = std::chrono::duration<double>(now.taken_at - first.taken_at).count();
  p.rate = p.seconds > 0 ? static_cast<double>(p.done - done_at_first) / p.seconds : 0;
  if (p.is_total_known && p.rate > 0 && p.total >= p.done) {
    p.eta_s = static_cast<double>(p.total - p.done) / p.rate;
  }
  return p;
}

std::string progress_line(const Progress& p, std::size_t width) {
  const double fraction =
      p.total > 0 ? static_cast<double>(p.done) / static_cast<double>(p.total) : 0;
  std::array<char, 160> counts{};
  std::snprintf(counts.data(), counts.size(), " %llu/%llu%s URLs",
                static_cast<unsigned long long>(p.done), static_cast<unsigned long long>(p.total),
                p.is_total_known ? "" : "+");
  std::string text = bar(fraction, 20);
  text += counts.data();
  text += "  ";
  text += human_bytes(static_cast<double>(p.bytes));
  if (p.seconds > 0) {
    std::array<char, 32> rate{};
    std::snprintf(rate.data(), rate.size(), "  %.1f URLs/s  ", p.rate);
    text += rate.data();
    text += human_bytes(static_cast<double>(p.bytes) / p.seconds);
    text += "/s";
  }
  text += "  ETA ";
  text += p.eta_s ? duration_text(*p.eta_s) : "?";
  if (text.size() > width) text.resize(width);
  return text;
}

}  // namespace dupipe::top
