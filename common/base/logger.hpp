// One-line diagnostics to stderr, prefixed "program[pid]: level: ". Passed to the code that logs
// (never a global) so tests can capture what a component reports.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace dupipe {

class Logger {
 public:
  Logger(std::string program, std::ostream& sink, bool verbose = false);

  void info(std::string_view message) const;
  void warning(std::string_view message) const;
  void error(std::string_view message) const;
  void debug(std::string_view message) const;

 private:
  void write(std::string_view level, std::string_view message) const;

  std::string prefix_;
  std::ostream& sink_;
  bool verbose_;
};

}  // namespace dupipe
