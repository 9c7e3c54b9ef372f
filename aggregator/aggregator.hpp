// The aggregator stage loop: reads H and F records until every writer has finished (or a stop is
// requested), then writes OUT/report.json and OUT/report.txt atomically (temp file, fsync,
// rename). In a supervised run it also keeps the journal of what it accounted (replayed when a
// restarted aggregator starts) and checks the producer's manifest, so the report says whether
// every URL sent is accounted ("complete").
#pragma once

#include <optional>
#include <string>

#include "aggregator/report.hpp"
#include "common/base/logger.hpp"
#include "common/transport/endpoint.hpp"

namespace dupipe::aggregator {

struct Config {
  std::string in = "-";
  std::string out_dir = ".";
  std::string algorithm = "sha256";  // named in the report when no digest arrives
  std::string journal;               // append every record taken; replay it at start
  std::string manifest;              // the producer's manifest of this pass: what must arrive
  bool lost_are_failures = false;    // last pass: manifest entries never seen become failures
  std::string crawl_state;           // a crawl's depths, origins and not-fetched counts
};

struct Outcome {
  Report report;
  std::optional<int> stopped_by;  // the signal that stopped the stage before end of stream
};

// Throws FatalError(kProtocol) on records other than H and F, FatalError naming the journal or
// manifest when one cannot be read or written.
[[nodiscard]] Outcome aggregate(RecordReader& input, const Config& config, const Logger& logger);

// Throws FatalError naming the file when the report cannot be written.
void write_report(const Report& report, const std::string& out_dir);

}  // namespace dupipe::aggregator
