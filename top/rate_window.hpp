// The base that dupipe-top measures its rates against: the newest sample at least `span` older
// than the newest one, not simply the previous sample. Records often finish in bursts (sixteen
// one-second downloads end together), so a half-second step reads 0 or twice the truth, and a key
// press ends the wait early and would shrink the step to milliseconds. Owned by the display loop.
#pragma once

#include <chrono>
#include <deque>

#include "top/monitor.hpp"

namespace dupipe::top {

class RateWindow {
 public:
  explicit RateWindow(std::chrono::milliseconds span) : span_(span) {}

  // Keeps `sample` as the newest; forgets the samples no base will need again.
  void add(RunSample sample);

  // Requires one add(). The sample just added.
  [[nodiscard]] const RunSample& newest() const { return samples_.back(); }

  // The newest sample at least `span` older than newest(), else the oldest one kept; nullptr
  // while there is only one sample.
  [[nodiscard]] const RunSample* base() const;

 private:
  std::chrono::milliseconds span_;
  std::deque<RunSample> samples_;  // oldest first
};

}  // namespace dupipe::top
