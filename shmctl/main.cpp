// dupipe-shm: creates, inspects and removes the shared-memory queues of dupipe's shm: links.
#include <iostream>

#include "common/base/cli.hpp"
#include "common/base/exit_code.hpp"
#include "shmctl/commands.hpp"

int main(int argc, char** argv) {
  namespace shmctl = dupipe::shmctl;
  bool verbose = false;
  CLI::App app{
      "dupipe-shm: create, inspect and remove dupipe's shared-memory queues\n"
      "(POSIX shm segments /dev/shm/dupipe-*, see docs/IPC.md)."};
  dupipe::cli::add_common_options(app, verbose);
  app.require_subcommand(1);

  shmctl::CreateOptions create;
  auto* create_cmd = app.add_subcommand("create", "Create a queue exclusively (mode 0600)");
  create_cmd->add_option("name", create.name, "Segment name, e.g. dupipe-1234-ab12cd34-urls")
      ->required();
  create_cmd
      ->add_option("--writers", create.writers,
                   "Writers of the link: end of stream once "
                   "all of them have finished or died")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  create_cmd->add_option("--capacity", create.capacity_bytes, "Ring bytes")
      ->capture_default_str()
      ->check(CLI::Range(8192, 1 << 30));
  create_cmd->add_option("--owner-pid", create.owner_pid,
                         "Process whose death makes the segment stale (default: none alive)");
  create_cmd->add_flag("--held", create.held_open,
                       "Hold the stream open until `release` (restarted writers take over the "
                       "slots of dead ones; writers wait for a restarted reader)");
  std::string release_name;
  auto* release_cmd = app.add_subcommand(
      "release", "End the hold of a --held queue: end of stream once its writers are done");
  release_cmd->add_option("name", release_name, "Segment name")->required();

  std::uint32_t stats_slots = 64;
  auto* stats_cmd = app.add_subcommand("create-stats", "Create a run's live-counter area");
  stats_cmd->add_option("name", create.name, "Area name, e.g. dupipe-1234-ab12cd34-stats")
      ->required();
  stats_cmd->add_option("--slots", stats_slots, "Stage processes it can hold")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  stats_cmd->add_option("--owner-pid", create.owner_pid, "Process whose death makes it stale");

  std::vector<std::string> names;
  bool as_json = false;
  std::string stages_name;
  auto* stages_cmd = app.add_subcommand("stages", "The live counters of a run's stages");
  stages_cmd->add_option("name", stages_name, "Stats area name")->required();
  stages_cmd->add_flag("--json", as_json, "One JSON object per line");
  auto* stat_cmd = app.add_subcommand("stat", "Depth, capacity, writers and readers of queues");
  stat_cmd->add_option("names", names, "Segment names")->required();
  stat_cmd->add_flag("--json", as_json, "One JSON object per line");

  std::string orphan_name;
  auto* orphans_cmd = app.add_subcommand(
      "orphans", "Print the records readers took and never acknowledged (dead readers)");
  orphans_cmd->add_option("name", orphan_name, "Segment name")->required();

  auto* remove_cmd = app.add_subcommand("remove", "Unlink segment names");
  remove_cmd->add_option("names", names, "Segment names")->required();

  bool is_dry_run = false;
  auto* cleanup_cmd =
      app.add_subcommand("cleanup", "List dupipe segments; remove those whose owning run is dead");
  cleanup_cmd->add_flag("-n,--dry-run", is_dry_run, "Only list");

  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;
  int missing = 0;
  const int rc = dupipe::cli::run_stage("dupipe-shm", verbose, [&](const dupipe::Logger& logger) {
    if (*create_cmd) shmctl::create_segment(create);
    if (*release_cmd) shmctl::release_segment(release_name);
    if (*stats_cmd) shmctl::create_stats_area(create.name, stats_slots, create.owner_pid);
    if (*stages_cmd) shmctl::print_stages(stages_name, as_json, std::cout);
    if (*stat_cmd) shmctl::print_stats(names, as_json, std::cout);
    if (*orphans_cmd) shmctl::print_orphans(orphan_name, std::cout);
    if (*remove_cmd) missing = shmctl::remove_segments(names, logger);
    if (*cleanup_cmd) shmctl::cleanup(is_dry_run, std::cout);
  });
  if (rc == dupipe::to_int(dupipe::ExitCode::kOk) && missing > 0) {
    return dupipe::to_int(dupipe::ExitCode::kFailure);
  }
  return rc;
}
