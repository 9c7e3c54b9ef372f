// grouper: the barrier stage of directory mode; passes on only files that can have a duplicate.
#include <map>

#include "common/cli.hpp"
#include "grouper/grouper.hpp"

int main(int argc, char** argv) {
  using dupipe::grouper::GroupBy;
  dupipe::grouper::Config config;
  bool verbose = false;
  CLI::App app{"grouper: reads W records (files found by a directory walk) to the end, then writes\n"
               "only those that share their size (--by size: one name per device and inode, the\n"
               "other names as L records) or their size and partial digest (--by partial).\n"
               "F, H, L and S records pass through."};
  dupipe::cli::add_common_options(app, verbose);
  app.add_option("-i,--in", config.in, "Input endpoint")->capture_default_str();
  app.add_option("-o,--out", config.out, "Output endpoint")->capture_default_str();
  const std::map<std::string, GroupBy> keys{{"size", GroupBy::kSize}, {"partial", GroupBy::kPartial}};
  app.add_option("--by", config.by, "size or partial")->transform(CLI::CheckedTransformer(keys))->required();
  app.add_flag("--include-empty", config.size.include_empty, "Group zero-length files too");
  app.add_option("--test-pause-dir", config.pause_dir, "Test hook: wait for DIR/resume before writing")
      ->group("");
  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;

  return dupipe::cli::run_stage("grouper", verbose, [&](const dupipe::Logger& logger) {
    const auto input = dupipe::open_reader(config.in);
    dupipe::BatchingWriter output(dupipe::open_writer(config.out), dupipe::wants_batching(config.out));
    const auto counts = dupipe::grouper::run(*input, output, config, logger);
    logger.info(std::to_string(counts.received) + " files in, " + std::to_string(counts.candidates) +
                " candidates out");
  });
}
