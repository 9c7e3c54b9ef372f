// grouper: the size barrier of directory mode; passes on only files that can have a duplicate,
// each size group whole to one of its outputs (one per hasher).
#include <memory>
#include <vector>

#include "common/base/cli.hpp"
#include "grouper/grouper.hpp"

int main(int argc, char** argv) {
  dupipe::grouper::Config config;
  bool verbose = false;
  CLI::App app{
      "grouper: reads W records (files found by a directory walk) to the end, then writes\n"
      "only those that share their size, one name per device and inode (the other names\n"
      "as L records), as size groups (a G record, then its W records), each group whole\n"
      "to one --out (given once per hasher; balanced by bytes). F, H, L and S records, and\n"
      "the counts, go to the first --out."};
  dupipe::cli::add_common_options(app, verbose);
  app.add_option("-i,--in", config.in, "Input endpoint")->capture_default_str();
  app.add_option("-o,--out", config.out, "Output endpoint, repeatable (one per hasher)")
      ->capture_default_str();
  app.add_flag("--include-empty", config.size.include_empty, "Group zero-length files too");
  app.add_option("--test-pause-dir", config.pause_dir,
                 "Test hook: wait for DIR/resume before writing")
      ->group("");
  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;

  return dupipe::cli::run_stage("grouper", verbose, [&](const dupipe::Logger& logger) {
    const auto input = dupipe::open_reader(config.in);
    std::vector<std::unique_ptr<dupipe::BatchingWriter>> outputs;
    std::vector<dupipe::BatchingWriter*> borrowed;
    for (const std::string& out : config.out) {
      outputs.push_back(std::make_unique<dupipe::BatchingWriter>(dupipe::open_writer(out),
                                                                 dupipe::wants_batching(out)));
      borrowed.push_back(outputs.back().get());
    }
    const auto counts = dupipe::grouper::run(*input, borrowed, config, logger);
    logger.info(std::to_string(counts.received) + " files in, " +
                std::to_string(counts.candidates) + " candidates out");
  });
}
