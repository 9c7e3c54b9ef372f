#include "aggregator/aggregator.hpp"

#include "common/signals.hpp"
#include "common/sys.hpp"

namespace dupipe::aggregator {

Report collect(RecordReader& input, const std::string& default_algorithm, const Logger& logger) {
  ReportBuilder builder(default_algorithm);
  while (const auto line = input.read_line()) {
    throw_if_stopped();
    auto record = parse_record(*line);
    if (!record) throw FatalError(input.name() + ": " + record.error().message, ExitCode::kProtocol);
    if (const auto* digest = std::get_if<DigestRecord>(&*record)) {
      if (auto ok = builder.add(*digest); !ok) {
        throw FatalError(input.name() + ": " + ok.error().message, ExitCode::kProtocol);
      }
      logger.debug("hashed " + digest->path);
    } else if (auto* failure = std::get_if<FailureRecord>(&*record)) {
      builder.add(std::move(*failure));
    } else {
      throw FatalError(input.name() + ": the aggregator takes H and F records only (is a stage missing?)",
                       ExitCode::kProtocol);
    }
    input.acknowledge();
  }
  return builder.build();
}

void write_report(const Report& report, const std::string& out_dir) {
  if (auto ok = sys::make_directories(out_dir); !ok) throw FatalError(ok.error().message);
  for (const auto& [name, contents] : {std::pair{"/report.json", to_json(report)},
                                       std::pair{"/report.txt", to_text(report)}}) {
    if (auto ok = sys::write_file_atomically(out_dir + name, contents); !ok) {
      throw FatalError(ok.error().message);
    }
  }
}

}  // namespace dupipe::aggregator
