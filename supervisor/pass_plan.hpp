// The end-to-end passes of a URL-mode run (docs/RECOVERY.md): pass 1 feeds everything; while the
// report says records were lost with a dead stage ("complete": false), another pass re-feeds
// only what is missing, at most `refeeds` times; the last pass reports what still never arrived
// as failures, so it always ends the run. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dupipe::supervisor {

class PassPlan {
 public:
  explicit PassPlan(std::uint32_t refeeds) : last_(refeeds + 1) {}

  [[nodiscard]] std::uint32_t last() const { return last_; }
  [[nodiscard]] bool is_last(std::uint32_t pass) const { return pass >= last_; }
  // The pass after `pass`, or nothing when the run is done.
  [[nodiscard]] std::optional<std::uint32_t> next(std::uint32_t pass, bool is_complete) const {
    if (is_complete || is_last(pass)) return std::nullopt;
    return pass + 1;
  }

 private:
  std::uint32_t last_;
};

// RUN_DIR/pass, read by dupipe-top: "PASS ACCOUNTED", ACCOUNTED being the records the
// aggregator's journal held when the pass began (what its producer skips).
[[nodiscard]] inline std::string pass_mark(std::uint32_t pass, std::uint64_t accounted) {
  return std::to_string(pass) + " " + std::to_string(accounted) + "\n";
}

}  // namespace dupipe::supervisor
