// aggregator: groups hashed files by (size, digest) and writes the duplicate report.
#include "aggregator/aggregator.hpp"
#include "common/cli.hpp"
#include "common/instrumented_endpoint.hpp"

int main(int argc, char** argv) {
  dupipe::aggregator::Config config;
  bool verbose = false;
  CLI::App app{
      "aggregator: reads H and F records until end of stream, groups files of equal size\n"
      "and digest, and writes OUT/report.json and OUT/report.txt atomically."};
  dupipe::cli::add_common_options(app, verbose);
  app.add_option("-i,--in", config.in, "Input endpoint")->capture_default_str();
  app.add_option("-o,--out", config.out_dir, "Directory for report.json and report.txt")
      ->capture_default_str();
  app.add_option("--algo", config.algorithm, "Algorithm named in a report without digests")
      ->capture_default_str();
  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;

  return dupipe::cli::run_stage("aggregator", verbose, [&](const dupipe::Logger& logger) {
    const auto stats = dupipe::cli::stage_stats("aggregator", logger);
    const auto input = dupipe::instrument(dupipe::open_reader(config.in), stats.get());
    const auto report = dupipe::aggregator::collect(*input, config.algorithm, logger);
    dupipe::aggregator::write_report(report, config.out_dir);
    logger.info("report written to " + config.out_dir + "/report.json (" +
                std::to_string(report.summary.duplicate_groups) + " duplicate groups)");
  });
}
