// dupipe-supervise: the back end of scripts/run_pipeline.sh. Parses the launcher's options,
// builds the topology of the mode asked for and supervises it (docs/IPC.md, docs/RECOVERY.md).
// Exit status: 0 done, 1 a stage failed beyond its restart budget or the run could not be set up
// (named on stderr), 2 bad usage or missing build, 128+N stopped by signal N.
#include <unistd.h>

#include <iostream>

#include "common/base/error.hpp"
#include "shmctl/commands.hpp"
#include "supervisor/launch.hpp"
#include "supervisor/options.hpp"

namespace {

using dupipe::supervisor::LaunchOptions;

bool has_build(const LaunchOptions& o) {
  std::vector<std::string> programs{"hasher", "aggregator"};
  if (o.is_directory_mode()) {
    programs.insert(programs.end(), {"walker", "grouper"});
  } else {
    programs.insert(programs.end(), {"producer", "fetcher"});
  }
  // URL mode records a timeline for report.html; --monitor shows the counters.
  if (!o.is_directory_mode() || o.is_monitor) programs.push_back("dupipe-top");
  for (const std::string& program : programs) {
    if (::access((o.bin_dir + "/" + program).c_str(), X_OK) != 0) {
      std::cerr << "run_pipeline: " << o.bin_dir << "/" << program
                << " is missing: build first (scripts/test.sh or scripts/demo.sh)\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = dupipe::supervisor::parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const LaunchOptions& options = *parsed.options;
  const dupipe::supervisor::Say say(std::cerr);
  try {
    if (options.is_cleanup) {
      dupipe::shmctl::cleanup(false, std::cout);
      return 0;
    }
    if (options.is_dry_run) return dupipe::supervisor::print_dry_run(options);
    if (!has_build(options)) return 2;
    // The launcher execs this program, so its pid is the one the user started.
    say("supervisor " + options.bin_dir + "/dupipe-supervise (pid " + std::to_string(::getpid()) +
        ")");
    return options.is_directory_mode() ? dupipe::supervisor::run_directory_mode(options, say)
                                       : dupipe::supervisor::run_url_mode(options, say);
  } catch (const dupipe::FatalError& error) {
    say(error.what());
    return 1;
  }
}
