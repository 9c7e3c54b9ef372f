// dupipe-bench-ipc: one table, measured in one run, of records/s and MB/s for 64-byte and 4-KiB
// records (1 sender -> 1 receiver and 2 -> 2) and ping-pong round-trip latency, over an anonymous
// pipe, a Unix-domain socket, dupipe's FIFO channel, Boost message_queue and dupipe's shm queue.
// Not a test: numbers depend on the machine; run it with bench/ipc.sh.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "bench/ipc/report.hpp"

int main(int argc, char** argv) {
  dupipe::bench::Plan plan;
  CLI::App app{"dupipe-bench-ipc: IPC throughput and latency table (see docs/IPC.md)"};
  app.add_option("--small-records", plan.small_records, "64-byte records per throughput run")
      ->capture_default_str();
  app.add_option("--large-records", plan.large_records, "4-KiB records per throughput run")
      ->capture_default_str();
  app.add_option("--round-trips", plan.round_trips, "ping-pong round trips")->capture_default_str();
  app.add_option("--only", plan.only, "measure only channels whose name contains this");
  CLI11_PARSE(app, argc, argv);

  std::string scratch = (std::filesystem::temp_directory_path() / "dupipe-bench-XXXXXX").string();
  if (::mkdtemp(scratch.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  int rc = 0;
  try {
    dupipe::bench::print_table(plan, scratch, std::cout);
  } catch (const std::exception& e) {
    std::cerr << "dupipe-bench-ipc: " << e.what() << '\n';
    rc = 1;
  }
  std::filesystem::remove_all(scratch);
  return rc;
}
