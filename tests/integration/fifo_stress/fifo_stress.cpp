// fifo_stress: W writer and R reader processes share ONE named FIFO through the real dupipe
// endpoints, and the parent checks that the multiset of records the readers received equals the
// multiset the writers sent: no record lost, split or duplicated. The parent holds a keeper
// (O_RDWR) until every writer has exited and opens each reader's descriptor before forking it,
// like scripts/run_pipeline.sh. Every wait has a deadline; the private temp dir (mkdtemp) is
// removed on every path. Exit status: 0 pass, 1 fail, 2 bad usage, 128+N stopped by signal N.
#include <fcntl.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/base/error.hpp"
#include "common/base/exit_code.hpp"
#include "common/base/logger.hpp"
#include "common/os/sys.hpp"
#include "tests/integration/fifo_stress/delivery_check.hpp"
#include "tests/integration/fifo_stress/stress_data.hpp"
#include "tests/integration/fifo_stress/stress_roles.hpp"
#include "tests/support/child_processes.hpp"

namespace dupipe::fifo_stress {
namespace {

using testing::ChildExit;
using testing::ChildProcesses;
using testing::SignalBlock;
using testing::wait_for_signal;

constexpr int kReaders = 0;  // ChildProcesses groups
constexpr int kWriters = 1;

using Clock = std::chrono::steady_clock;

// How often the parent looks at its children if no SIGCHLD arrives (a safety net only).
constexpr auto kPollInterval = std::chrono::milliseconds(100);

struct Config {
  WriteMode mode = WriteMode::kPacket;
  Workload workload;
  int readers = 4;
  int repeat = 1;
  int timeout_s = 240;
};

const std::map<std::string, WriteMode> kModes{{"packet", WriteMode::kPacket},
                                              {"stream", WriteMode::kStream},
                                              {"chunked", WriteMode::kChunked}};

std::string mode_name(WriteMode mode) {
  for (const auto& [name, value] : kModes) {
    if (value == mode) return name;
  }
  return "?";
}

// A fresh directory from mkdtemp(3) under $TMPDIR or /tmp, removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/dupipe-fifo-stress-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp " + pattern, errno);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;  // a destructor must not throw; a leftover dir is all that is lost
    std::filesystem::remove_all(path_, ignored);
  }

  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

UniqueFd open_or_throw(const std::string& path, int flags) {
  auto fd = sys::open_file(path, flags);
  if (!fd) throw FatalError(fd.error().message);
  return std::move(*fd);
}

std::string result_file(const TempDir& dir, int reader) {
  return dir.file("reader-" + std::to_string(reader) + ".txt");
}

struct Supervision {
  std::string child_failures;  // "; "-separated; empty when every child exited with status 0
  std::string abort_reason;    // why the round was cut short; results are then incomplete
  int stop_signal = 0;
};

struct RoundResult {
  std::string failure;  // empty on success
  int stop_signal = 0;
  double elapsed_s = 0;
  std::uint64_t bytes = 0;
  std::vector<std::uint64_t> per_reader;
};

void append(std::string& list, const std::string& item) {
  if (item.empty()) return;
  list += (list.empty() ? "" : "; ") + item;
}

// Waits for every child. A failing child does not stop the others, so the verdict can still say
// what was lost. The keeper is closed once the last writer is gone, so the readers drain the
// FIFO and then see end of stream. The round is cut short (the ChildProcesses' destructor kills and
// reaps the rest) by the deadline, a stop signal, or the last reader exiting before the writers.
Supervision supervise(ChildProcesses& children, UniqueFd& keeper, int timeout_s) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  Supervision result;
  while (true) {
    for (const ChildExit& exited : children.reap_exited()) {
      if (!exited.is_success()) append(result.child_failures, exited.role + " " + exited.how());
    }
    if (keeper.is_open() && children.is_group_done(kWriters)) keeper.reset();
    if (children.is_done()) return result;
    if (children.is_group_done(kReaders)) {  // the writers would block on a full FIFO
      result.abort_reason = "every reader exited while " + children.running_roles() + " ran";
      return result;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      result.abort_reason = "timed out after " + std::to_string(timeout_s) + " s" +
                            (keeper.is_open() ? "" : " (every writer done, keeper closed)") +
                            "; still running: " + children.running_roles();
      return result;
    }
    result.stop_signal = wait_for_signal(std::min(left, kPollInterval), true);
    if (result.stop_signal != 0) {
      result.abort_reason = "stopped by signal " + std::to_string(result.stop_signal);
      return result;
    }
  }
}

// Feeds every reader's result file to the check; returns the records each reader reported.
// A reader that died before writing its file is noted in `missing`; its records show as lost.
std::vector<std::uint64_t> collect(const TempDir& dir, int readers, DeliveryCheck& check,
                                   std::string& missing) {
  std::vector<std::uint64_t> per_reader;
  for (int reader = 0; reader < readers; ++reader) {
    std::ifstream lines(result_file(dir, reader), std::ios::binary);
    if (!lines) append(missing, "reader " + std::to_string(reader) + " left no result file");
    std::uint64_t count = 0;
    for (std::string line; std::getline(lines, line); ++count) {
      if (const auto delivery = parse_delivery(line)) {
        check.add(reader, *delivery);
      } else {
        check.add_unreadable(reader, line);
      }
    }
    per_reader.push_back(count);
  }
  return per_reader;
}

void spawn_children(const Config& config, const std::string& fifo, const TempDir& dir,
                    UniqueFd& keeper, ChildProcesses& children) {
  for (int reader = 0; reader < config.readers; ++reader) {
    // Opened here, while the keeper holds the FIFO, so no reader can open it too late.
    UniqueFd input = open_or_throw(fifo, O_RDONLY);
    const std::string result = result_file(dir, reader);
    children.spawn(
        "reader " + std::to_string(reader),
        [&](const Logger& log) {
          keeper.reset();  // an inherited write end would keep this reader from ever seeing EOF
          return run_reader(log, std::move(input), fifo, config.workload, result);
        },
        kReaders);
  }
  for (int writer = 0; writer < config.workload.writers; ++writer) {
    children.spawn(
        "writer " + std::to_string(writer),
        [&](const Logger&) {
          keeper.reset();
          return run_writer(config.workload, config.mode, fifo, writer);
        },
        kWriters);
  }
}

RoundResult run_round(const Config& config, const SignalBlock& signals) {
  const TempDir dir;  // declared first: removed after every child is reaped
  const std::string fifo = dir.file("fifo");
  if (::mkfifo(fifo.c_str(), 0600) != 0) throw_errno("mkfifo " + fifo, errno);
  // O_RDWR never blocks on a FIFO; this write end stands in for writers not yet started or gone.
  UniqueFd keeper = open_or_throw(fifo, O_RDWR);
  ChildProcesses children(signals.previous(), "fifo_stress");
  const auto start = Clock::now();
  spawn_children(config, fifo, dir, keeper, children);
  const Supervision supervision = supervise(children, keeper, config.timeout_s);
  RoundResult result;
  result.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  result.stop_signal = supervision.stop_signal;
  result.failure = supervision.child_failures;
  if (!supervision.abort_reason.empty()) {
    append(result.failure, supervision.abort_reason);
    return result;
  }
  const Manifest manifest = build_manifest(config.workload);
  DeliveryCheck check(manifest);
  result.bytes = manifest.bytes;
  result.per_reader = collect(dir, config.readers, check, result.failure);
  append(result.failure, check.problems());
  return result;
}

// "packet seed 1: 2 writers -> 4 readers, 200000 records (411.0 MB) in 7.5 s; per reader 50199
// 49590 50774 49437 (min 49437, max 50774, spread 2.7% of the mean)".
std::string summarize(const Config& config, const RoundResult& result) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(1);
  out << mode_name(config.mode) << " seed " << config.workload.seed << ": "
      << config.workload.writers << " writers -> " << config.readers << " readers, "
      << config.workload.records << " records";
  if (result.bytes > 0) out << " (" << static_cast<double>(result.bytes) / 1e6 << " MB)";
  out << " in " << result.elapsed_s << " s";
  if (result.per_reader.empty()) return out.str();
  const auto [low, high] = std::minmax_element(result.per_reader.begin(), result.per_reader.end());
  const double mean = static_cast<double>(config.workload.records) / config.readers;
  out << "; per reader";
  for (const std::uint64_t count : result.per_reader) out << ' ' << count;
  out << " (min " << *low << ", max " << *high << ", spread "
      << 100.0 * static_cast<double>(*high - *low) / mean << "% of the mean)";
  return out.str();
}

int run(const Config& config, const Logger& log) {
  const SignalBlock signals;
  for (int round = 1; round <= config.repeat; ++round) {
    Config this_round = config;
    this_round.workload.seed = config.workload.seed + static_cast<std::uint64_t>(round - 1);
    const RoundResult result = run_round(this_round, signals);
    const std::string header = "round " + std::to_string(round) + "/" +
                               std::to_string(config.repeat) + " " + summarize(this_round, result);
    if (result.stop_signal != 0) {
      log.warning(header + ": " + result.failure);
      return 128 + result.stop_signal;
    }
    if (!result.failure.empty()) {
      log.error(header + ": FAILED: " + result.failure);
      return to_int(ExitCode::kFailure);
    }
    std::cout << "fifo_stress: " << header << ": ok" << std::endl;
  }
  return to_int(ExitCode::kOk);
}

void add_options(CLI::App& app, Config& config) {
  app.add_option("--mode", config.mode,
                 "packet (packet:PATH writers), stream (fifo:PATH) or chunked (raw unaligned "
                 "writes, one writer)")
      ->transform(CLI::CheckedTransformer(kModes).description(""))
      ->type_name("packet|stream|chunked");
  app.add_option("--writers", config.workload.writers, "writer processes (default 2; chunked: 1)")
      ->check(CLI::PositiveNumber);
  app.add_option("--readers", config.readers, "reader processes sharing the FIFO")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--records", config.workload.records, "records over all writers")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", config.workload.seed, "seed of round 1; round k uses seed + k - 1")
      ->capture_default_str();
  app.add_option("--repeat", config.repeat, "rounds to run")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--timeout", config.timeout_s, "seconds a round may take before it fails")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

// Chunked writes cut records anywhere, so two chunked writers would interleave mid-record.
std::optional<std::string> settle_writers(const CLI::App& app, Config& config) {
  if (config.mode != WriteMode::kChunked) return std::nullopt;
  if (app.count("--writers") == 0) config.workload.writers = 1;
  if (config.workload.writers == 1) return std::nullopt;
  return "--mode chunked needs exactly 1 writer: unaligned chunks of several writers interleave";
}

}  // namespace
}  // namespace dupipe::fifo_stress

int main(int argc, char** argv) {
  using namespace dupipe;
  fifo_stress::Config config;
  CLI::App app(
      "Stress many writer and reader processes sharing one FIFO; checks that every "
      "record arrives exactly once, intact.");
  fifo_stress::add_options(app, config);
  app.footer(
      "\nExit codes: 0 every round passed, 1 a round failed (stderr says how), 2 bad usage,"
      " 128+N stopped by signal N.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : to_int(ExitCode::kUsage);
  }
  const Logger log("fifo_stress", std::cerr);
  if (const auto problem = fifo_stress::settle_writers(app, config)) {
    log.error(*problem);
    return to_int(ExitCode::kUsage);
  }
  try {
    return fifo_stress::run(config, log);
  } catch (const FatalError& e) {
    log.error(e.what());
    return to_int(ExitCode::kFailure);
  } catch (const std::exception& e) {  // caught so the round's destructors clean up on the way
    log.error(std::string("internal error: ") + e.what());
    return to_int(ExitCode::kFailure);
  }
}
