// aggregator: groups hashed files by (size, digest) and writes the duplicate report.
#include <map>

#include "aggregator/aggregator.hpp"
#include "aggregator/directory_aggregator.hpp"
#include "common/base/cli.hpp"
#include "common/transport/instrumented_endpoint.hpp"

int main(int argc, char** argv) {
  dupipe::aggregator::Config config;
  dupipe::aggregator::DirectoryOptions directory;
  bool is_directory_mode = false;
  bool verbose = false;
  CLI::App app{
      "aggregator: reads H and F records until end of stream, groups files of equal size\n"
      "and digest, and writes OUT/report.json and OUT/report.txt atomically.\n"
      "With --directory (directory mode) also L and S records, the --format files and actions.sh."};
  dupipe::cli::add_common_options(app, verbose);
  app.add_option("-i,--in", config.in, "Input endpoint")->capture_default_str();
  app.add_option("-o,--out", config.out_dir, "Directory for report.json and report.txt")
      ->capture_default_str();
  app.add_option("--algo", config.algorithm, "Algorithm named in a report without digests")
      ->capture_default_str();
  app.add_option("--journal", config.journal,
                 "Append every record taken to FILE and replay FILE at start (supervised runs)");
  app.add_option("--manifest", config.manifest,
                 "The producer's manifest: the report is complete once all of it arrived");
  app.add_flag("--lost-are-failures", config.lost_are_failures,
               "Report manifest records that never arrived as failures (a run's last pass)");
  app.add_option("--crawl-state", config.crawl_state,
                 "A crawl's state (the producer's --crawl-state): depths, found_on, not_fetched");
  app.add_flag("--directory", is_directory_mode,
               "Directory mode: report paths, hard links, actions.sh");
  // The flag's former name, kept for scripts that run the stage by hand; not listed.
  app.add_flag("--local", is_directory_mode)->group("");
  app.add_flag("--verify", directory.verify,
               "Directory mode: compare each group byte by byte first");
  app.add_option("--format", directory.formats, "Directory mode: extra report.FORMAT files")
      ->delimiter(',')
      ->check(CLI::IsMember({"json", "text", "nul", "fdupes", "csv"}));
  const std::map<std::string, dupipe::aggregator::Action> actions{
      {"link", dupipe::aggregator::Action::kLink}, {"delete", dupipe::aggregator::Action::kDelete}};
  app.add_option("--action", directory.action,
                 "Directory mode: what actions.sh would do (link, delete)")
      ->transform(CLI::CheckedTransformer(actions));
  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;

  return dupipe::cli::run_stage("aggregator", verbose, [&](const dupipe::Logger& logger) {
    const auto stats = dupipe::cli::stage_stats("aggregator", logger);
    const auto input = dupipe::instrument(dupipe::open_reader(config.in), stats.get());
    if (is_directory_mode) {
      const auto report =
          dupipe::aggregator::collect_directory(*input, config.algorithm, directory, logger);
      dupipe::aggregator::write_directory_outputs(report, directory, config.out_dir);
      logger.info("report written to " + config.out_dir + "/report.json (" +
                  std::to_string(report.summary.duplicate_groups) + " duplicate groups)");
      return;
    }
    const auto outcome = dupipe::aggregator::aggregate(*input, config, logger);
    dupipe::aggregator::write_report(outcome.report, config.out_dir);
    logger.info(
        std::string(outcome.report.complete ? "report" : "partial report (complete: false)") +
        " written to " + config.out_dir + "/report.json (" +
        std::to_string(outcome.report.summary.duplicate_groups) + " duplicate groups)");
    if (outcome.stopped_by) throw dupipe::Interrupted(*outcome.stopped_by);
  });
}
