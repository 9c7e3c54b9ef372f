// The model behind dupipe-top: reads a run directory (links, pids, the stats area it names) and
// turns one moment of it into rows for processes and links, with rates from the previous moment.
// Pure apart from sample_run(), which reads /proc, FIFOs (FIONREAD, F_GETPIPE_SZ) and /dev/shm.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/observe/stage_stats.hpp"

namespace dupipe::top {

struct LinkSample {
  std::string name;       // urls, paths, digests
  std::string transport;  // fifo or shm
  std::string target;     // FIFO path or segment name
  std::optional<std::uint64_t> capacity_bytes;
  std::optional<std::uint64_t> queued_bytes;
  std::optional<std::uint64_t> queued_records;  // shm only
  std::string problem;                          // why the numbers are missing
};

// The launcher's RUN_DIR/pass, "PASS ACCOUNTED", written before it starts a pass's stages: the
// records the aggregator's journal already held then (accounted by earlier passes, or by the run
// --resume continues), which the pass's producer skips.
struct PassMark {
  std::uint32_t number = 0;
  std::uint64_t accounted_before = 0;
};

struct RunSample {
  std::chrono::steady_clock::time_point taken_at;
  std::uint64_t now_ns = 0;  // CLOCK_MONOTONIC, the clock of activity_since_ns
  std::vector<StageSnapshot> stages;
  std::vector<LinkSample> links;
  std::optional<PassMark> pass;  // none outside a launcher's URL run
  std::string problem;           // e.g. the stats area is gone (the run ended)
};

// Reads the run directory once. Never throws for a run that is ending: problems are recorded.
[[nodiscard]] RunSample sample_run(const std::filesystem::path& run_dir);

// How far the run is, in records that reach the aggregator (one per URL, accepted or rejected).
// Counted once each over re-feed passes: what earlier passes accounted, plus what this pass's
// producer sent and this pass's aggregator took in (a re-fed URL was sent by two producers).
struct UrlCounts {
  std::uint64_t total = 0;      // records the producer emitted so far
  std::uint64_t done = 0;       // records the aggregator took in
  bool is_total_known = false;  // this pass's producer has finished
};

[[nodiscard]] UrlCounts count_urls(const RunSample& sample);

// The run directories under `tmp_dir` (dupipe-run.*) whose launcher is still running.
[[nodiscard]] std::vector<std::filesystem::path> live_runs(const std::filesystem::path& tmp_dir);

enum class SortKey { kStart, kRole, kRate, kPid };

struct ProcessRow {
  pid_t pid = 0;
  std::string role;
  std::string state;   // working, blocked-on-read 1.2 s, exited, ...
  double rate_in = 0;  // records per second since the previous sample
  std::uint64_t records_in = 0;
  std::uint64_t records_out = 0;
  std::uint64_t failures = 0;
  std::string item;
};

struct Screen {
  std::vector<ProcessRow> processes;
  std::vector<LinkSample> links;
  std::uint64_t total = 0;  // records the producer emitted so far (URLs accepted or rejected)
  std::uint64_t done = 0;   // records the aggregator took in
  double rate = 0;          // of `done`, per second
  std::optional<double> eta_s;
  bool is_producer_done = false;
  std::uint32_t pass = 0;  // 0: not known
  std::string problem;
};

// A wait inside an endpoint longer than this shows as blocked-on-read / blocked-on-write.
inline constexpr std::uint64_t kBlockedAfterNs = 100'000'000;

[[nodiscard]] Screen build_screen(const RunSample& now, const RunSample* previous, SortKey sort);

[[nodiscard]] std::string describe_state(const StageSnapshot& stage, std::uint64_t now_ns);

}  // namespace dupipe::top
