// The producer stage: turns a URL list into U records (accepted URLs with stable ids) and F
// records (rejected lines with their reason), so every non-blank, non-comment line is accounted.
#pragma once

#include <cstdint>
#include <string>

#include "common/base/logger.hpp"
#include "common/protocol/url_intake.hpp"
#include "common/transport/endpoint.hpp"

namespace dupipe::producer {

struct Config {
  std::string input = "-";  // URL list: a file or '-' for stdin
  std::string out = "-";    // endpoint for the records
  UrlPolicy policy;
};

struct Counts {
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;  // invalid lines and exact repeats
  std::uint64_t skipped = 0;   // blank lines and comments
};

[[nodiscard]] Counts run(RecordReader& input, RecordWriter& output, const UrlPolicy& policy,
                         const Logger& logger);

}  // namespace dupipe::producer
