// The logger: one line per message, prefixed "program[pid]: level: ", debug only when verbose.
#include "common/base/logger.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>
#include <string>

namespace dupipe {
namespace {

std::string prefix(const std::string& program) {
  return program + "[" + std::to_string(::getpid()) + "]: ";
}

TEST(Logger, PrefixesEveryLineWithProgramPidAndLevel) {
  std::ostringstream sink;
  const Logger logger("fetcher", sink, false);
  logger.info("started");
  logger.warning("http://h/x: HTTP 404");
  logger.error("cannot open input");
  EXPECT_EQ(sink.str(), prefix("fetcher") + "started\n" + prefix("fetcher") +
                            "warning: http://h/x: HTTP 404\n" + prefix("fetcher") +
                            "error: cannot open input\n");
}

TEST(Logger, WritesDebugOnlyWhenVerbose) {
  std::ostringstream quiet_sink;
  Logger("hasher", quiet_sink, false).debug("hidden");
  EXPECT_EQ(quiet_sink.str(), "");
  std::ostringstream verbose_sink;
  Logger("hasher", verbose_sink, true).debug("shown");
  EXPECT_EQ(verbose_sink.str(), prefix("hasher") + "debug: shown\n");
}

}  // namespace
}  // namespace dupipe
