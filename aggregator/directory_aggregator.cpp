#include "aggregator/directory_aggregator.hpp"

#include <utility>

#include "aggregator/verify.hpp"
#include "common/os/signals.hpp"
#include "common/os/sys.hpp"

namespace dupipe::aggregator {
namespace {

void add_record(DirectoryReportBuilder& builder, Record& record, const std::string& source) {
  if (const auto* digest = std::get_if<DigestRecord>(&record)) {
    if (auto ok = builder.add(*digest); !ok)
      throw FatalError(source + ": " + ok.error().message, ExitCode::kProtocol);
  } else if (auto* failure = std::get_if<FailureRecord>(&record)) {
    builder.add(std::move(*failure));
  } else if (const auto* link = std::get_if<LinkRecord>(&record)) {
    builder.add(*link);
  } else if (const auto* stat = std::get_if<StatRecord>(&record)) {
    builder.add(*stat);
  } else {
    throw FatalError(source + ": a directory-mode aggregator takes H, L, S and F records only",
                     ExitCode::kProtocol);
  }
}

std::string render(const DirectoryReport& report, const std::string& format) {
  if (format == "nul") return to_nul(report);
  if (format == "fdupes") return to_fdupes(report);
  if (format == "csv") return to_csv(report);
  throw FatalError("unknown format '" + format + "'", ExitCode::kUsage);
}

void write_output(const std::string& path, const std::string& contents) {
  value_or_fatal(sys::write_file_atomically(path, contents));
}

}  // namespace

DirectoryReport collect_directory(RecordReader& input, const std::string& default_algorithm,
                                  const DirectoryOptions& options, const Logger& logger) {
  DirectoryReportBuilder builder(default_algorithm);
  while (const auto delivery = input.read()) {
    throw_if_stopped();
    auto record = parse_record(delivery->line);
    if (!record)
      throw FatalError(input.name() + ": " + record.error().message, ExitCode::kProtocol);
    add_record(builder, *record, input.name());
    input.acknowledge(delivery->tag);  // the builder keeps it: what the report derives from
  }
  std::vector<FailureRecord> extra;
  std::vector<DirectoryGroup> groups = builder.candidate_groups();
  if (options.verify) groups = verify_groups(groups, extra, logger);
  return builder.build(std::move(groups), std::move(extra));
}

void write_directory_outputs(const DirectoryReport& report, const DirectoryOptions& options,
                             const std::string& out_dir) {
  value_or_fatal(sys::make_directories(out_dir));
  write_output(out_dir + "/report.json", to_json(report));
  write_output(out_dir + "/report.txt", to_text(report));
  for (const std::string& format : options.formats) {
    if (format != "json" && format != "text")
      write_output(out_dir + "/report." + format, render(report, format));
  }
  write_output(out_dir + "/actions.sh", to_actions(report, options.action));
}

}  // namespace dupipe::aggregator
