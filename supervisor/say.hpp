// The supervisor's messages, one line each on stderr, prefixed as the launcher's always were
// ("run_pipeline: "), so scripts and tests that read them keep working. Passed to the code that
// reports (never a global); the sink can be swapped (--monitor moves stderr to OUT/run.log).
#pragma once

#include <ostream>
#include <string_view>

namespace dupipe::supervisor {

class Say {
 public:
  explicit Say(std::ostream& sink) : sink_(sink) {}
  void operator()(std::string_view message) const {
    sink_ << "run_pipeline: " << message << '\n' << std::flush;
  }

 private:
  std::ostream& sink_;
};

}  // namespace dupipe::supervisor
