#include "common/base/logger.hpp"

#include <unistd.h>

#include "common/protocol/redaction.hpp"

namespace dupipe {

Logger::Logger(std::string program, std::ostream& sink, bool verbose)
    : prefix_(std::move(program) + "[" + std::to_string(::getpid()) + "]: "),
      sink_(sink),
      verbose_(verbose) {}

void Logger::info(std::string_view message) const { write("", message); }
void Logger::warning(std::string_view message) const { write("warning: ", message); }
void Logger::error(std::string_view message) const { write("error: ", message); }
void Logger::debug(std::string_view message) const {
  if (verbose_) write("debug: ", message);
}

void Logger::write(std::string_view level, std::string_view message) const {
  // One string per line so lines from several processes sharing stderr do not interleave.
  std::string line = prefix_;
  line += level;
  line += redact_credentials(message);  // "http://user:***@host": passwords never reach a log
  line += '\n';
  sink_ << line << std::flush;
}

}  // namespace dupipe
