// The aggregator's directory-mode loop: reads H, L, S and F records to the end, optionally
// verifies every group byte by byte, then writes report.json, report.txt, the extra formats
// asked for and actions.sh, each atomically.
#pragma once

#include <string>
#include <vector>

#include "aggregator/directory_outputs.hpp"
#include "aggregator/directory_report.hpp"
#include "common/base/logger.hpp"
#include "common/transport/endpoint.hpp"

namespace dupipe::aggregator {

struct DirectoryOptions {
  bool verify = false;
  std::vector<std::string> formats;  // extra outputs: nul, fdupes, csv (json and text always)
  Action action = Action::kLink;     // what actions.sh would do
};

// Throws FatalError(kProtocol) on records other than H, L, S and F.
[[nodiscard]] DirectoryReport collect_directory(RecordReader& input,
                                                const std::string& default_algorithm,
                                                const DirectoryOptions& options,
                                                const Logger& logger);

// Throws FatalError naming the file when an output cannot be written.
void write_directory_outputs(const DirectoryReport& report, const DirectoryOptions& options,
                             const std::string& out_dir);

}  // namespace dupipe::aggregator
