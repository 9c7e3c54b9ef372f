#include "top/rate_window.hpp"

#include <utility>

namespace dupipe::top {

void RateWindow::add(RunSample sample) {
  samples_.push_back(std::move(sample));
  const auto oldest_needed = samples_.back().taken_at - span_;
  // The front stays while the next one is too young to be a base itself.
  while (samples_.size() > 2 && samples_[1].taken_at <= oldest_needed) samples_.pop_front();
}

const RunSample* RateWindow::base() const {
  return samples_.size() < 2 ? nullptr : &samples_.front();
}

}  // namespace dupipe::top
