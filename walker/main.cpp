// walker: directory mode's first stage; walks trees and writes one W record per regular file
// (docs/PROTOCOL.md).
#include "common/base/cli.hpp"
#include "common/transport/batching_writer.hpp"
#include "walker/tree_walker.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> dirs;
  std::string out = "-";
  dupipe::walker::WalkOptions walk;
  bool verbose = false;
  CLI::App app{
      "walker: walks each DIR (without opening a file) and writes one W record per regular\n"
      "file, in name order; symbolic links and special files are skipped, an entry that cannot\n"
      "be read becomes an F record naming it. A DIR given twice, or inside another, is walked\n"
      "once. The grouper reads what it writes."};
  dupipe::cli::add_common_options(app, verbose);
  app.add_option("dirs", dirs, "Directory to walk (one or more)")->required();
  app.add_option("-o,--out", out, "Output endpoint")->capture_default_str();
  app.add_flag("--follow-links", walk.follow_links, "Follow symbolic links");
  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;

  return dupipe::cli::run_stage("walker", verbose, [&](const dupipe::Logger& logger) {
    dupipe::BatchingWriter output(dupipe::open_writer(out), dupipe::wants_batching(out));
    const auto counts = dupipe::walker::walk_trees(dirs, walk, output, logger);
    output.flush();
    logger.info(std::to_string(counts.files) + " files, " + std::to_string(counts.skipped) +
                " skipped, " + std::to_string(counts.failed) + " failed");
  });
}
