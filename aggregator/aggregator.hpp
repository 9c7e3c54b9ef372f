// The aggregator stage loop: reads H and F records until every writer has finished, then writes
// OUT/report.json and OUT/report.txt atomically (temp file, fsync, rename).
#pragma once

#include <string>

#include "aggregator/report.hpp"
#include "common/endpoint.hpp"
#include "common/logger.hpp"

namespace dupipe::aggregator {

struct Config {
  std::string in = "-";
  std::string out_dir = ".";
  std::string algorithm = "sha256";  // named in the report when no digest arrives
};

// Throws FatalError(kProtocol) on records other than H and F.
[[nodiscard]] Report collect(RecordReader& input, const std::string& default_algorithm,
                             const Logger& logger);

// Throws FatalError naming the file when the report cannot be written.
void write_report(const Report& report, const std::string& out_dir);

}  // namespace dupipe::aggregator
