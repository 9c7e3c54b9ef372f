#include "top/monitor.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "common/base/error.hpp"
#include "common/os/process_liveness.hpp"
#include "common/os/unique_fd.hpp"
#include "common/shm/shm_queue.hpp"

namespace dupipe::top {
namespace {

// A FIFO's fill level. Opened read-only and non-blocking: that never blocks, never consumes and,
// unlike a write end, never delays the readers' end of file.
void sample_fifo(LinkSample& link) {
  UniqueFd fd(::open(link.target.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.is_open()) {
    link.problem = "gone";
    return;
  }
  int queued = 0;
  if (::ioctl(fd.get(), FIONREAD, &queued) == 0)
    link.queued_bytes = static_cast<std::uint64_t>(queued);
  const int capacity = ::fcntl(fd.get(), F_GETPIPE_SZ);
  if (capacity > 0) link.capacity_bytes = static_cast<std::uint64_t>(capacity);
}

void sample_shm(LinkSample& link) {
  const auto queue = ShmQueue::try_open(link.target);
  if (!queue) {
    link.problem = "gone";
    return;
  }
  const ShmQueueStats stats = queue->stats();
  link.capacity_bytes = stats.capacity_bytes;
  link.queued_bytes = stats.bytes_used;
  link.queued_records = stats.records_queued;
}

std::vector<LinkSample> read_links(const std::filesystem::path& run_dir) {
  std::vector<LinkSample> links;
  std::ifstream in(run_dir / "links");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    LinkSample link;
    if (!(fields >> link.name >> link.transport >> link.target)) continue;
    if (link.transport == "fifo") sample_fifo(link);
    if (link.transport == "shm") sample_shm(link);
    links.push_back(std::move(link));
  }
  return links;
}

std::optional<PassMark> read_pass(const std::filesystem::path& run_dir) {
  std::ifstream in(run_dir / "pass");
  PassMark mark;
  if (!(in >> mark.number >> mark.accounted_before)) return std::nullopt;
  return mark;
}

const StageSnapshot* find_pid(const RunSample& sample, pid_t pid) {
  const auto it = std::find_if(sample.stages.begin(), sample.stages.end(),
                               [&](const StageSnapshot& s) { return s.pid == pid; });
  return it == sample.stages.end() ? nullptr : &*it;
}

double per_second(std::uint64_t now, std::uint64_t before, double seconds) {
  return seconds > 0 && now >= before ? static_cast<double>(now - before) / seconds : 0;
}

void sort_rows(std::vector<ProcessRow>& rows, SortKey sort) {
  const auto by = [&](const ProcessRow& a, const ProcessRow& b) {
    switch (sort) {
      case SortKey::kRole:
        return a.role < b.role;
      case SortKey::kRate:
        return a.rate_in > b.rate_in;
      case SortKey::kPid:
        return a.pid < b.pid;
      case SortKey::kStart:
        return false;
    }
    return false;
  };
  std::stable_sort(rows.begin(), rows.end(), by);
}

std::string seconds_text(std::uint64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ns) / 1e9);
  return text;
}

}  // namespace

RunSample sample_run(const std::filesystem::path& run_dir) {
  RunSample sample;
  sample.taken_at = std::chrono::steady_clock::now();
  sample.now_ns = monotonic_ns();
  sample.links = read_links(run_dir);
  sample.pass = read_pass(run_dir);
  std::ifstream stats_file(run_dir / "stats");
  std::string area;
  if (!(stats_file >> area)) {
    sample.problem = "no live counters in " + run_dir.string() + " (run ended, or not started)";
    return sample;
  }
  if (const auto stats = StatsArea::try_open(area)) {
    sample.stages = stats->snapshot();
  } else {
    sample.problem = stats.error().message;
  }
  return sample;
}

UrlCounts count_urls(const RunSample& sample) {
  UrlCounts counts;
  const std::uint64_t before = sample.pass ? sample.pass->accounted_before : 0;
  counts.total = counts.done = before;
  for (const StageSnapshot& stage : sample.stages) {
    if (sample.pass && stage.pass != sample.pass->number) continue;
    if (stage.role == "producer") {
      counts.total += stage.records_out;
      counts.is_total_known = stage.activity == Activity::kDone || !stage.is_alive;
    }
    if (stage.role == "aggregator") counts.done += stage.records_in;
  }
  return counts;
}

std::vector<std::filesystem::path> live_runs(const std::filesystem::path& tmp_dir) {
  std::vector<std::filesystem::path> runs;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(tmp_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("dupipe-run.")) continue;
    std::ifstream stats_file(entry.path() / "stats");
    std::string area;
    if (!(stats_file >> area)) continue;
    // A run that is ending removed its area: not a live run.
    const auto stats = StatsArea::try_open(area);
    if (stats && is_alive(stats->owner())) runs.push_back(entry.path());
  }
  std::sort(runs.begin(), runs.end());
  return runs;
}

std::string describe_state(const StageSnapshot& stage, std::uint64_t now_ns) {
  if (!stage.is_alive) return "exited";
  const std::uint64_t waited =
      now_ns > stage.activity_since_ns ? now_ns - stage.activity_since_ns : 0;
  switch (stage.activity) {
    case Activity::kReading:
      return waited >= kBlockedAfterNs ? "blocked-on-read " + seconds_text(waited) : "reading";
    case Activity::kWriting:
      return waited >= kBlockedAfterNs ? "blocked-on-write " + seconds_text(waited) : "writing";
    default:
      return std::string(activity_name(stage.activity));
  }
}

Screen build_screen(const RunSample& now, const RunSample* previous, SortKey sort) {
  Screen screen;
  screen.links = now.links;
  screen.problem = now.problem;
  const double seconds =
      previous == nullptr
          ? 0
          : std::chrono::duration<double>(now.taken_at - previous->taken_at).count();
  const UrlCounts counts = count_urls(now);
  screen.total = counts.total;
  screen.done = counts.done;
  screen.is_producer_done = counts.is_total_known;
  screen.pass = now.pass ? now.pass->number : 0;
  const std::uint64_t done_before = previous ? count_urls(*previous).done : counts.done;
  for (const StageSnapshot& stage : now.stages) {
    const StageSnapshot* before = previous ? find_pid(*previous, stage.pid) : nullptr;
    ProcessRow row{
        stage.pid,
        stage.role,
        describe_state(stage, now.now_ns),
        per_second(stage.records_in, before ? before->records_in : 0, before ? seconds : 0),
        stage.records_in,
        stage.records_out,
        stage.failures_out,
        stage.current_item};
    screen.processes.push_back(std::move(row));
  }
  screen.rate = per_second(screen.done, done_before, seconds);
  if (screen.is_producer_done && screen.rate > 0 && screen.total >= screen.done) {
    screen.eta_s = static_cast<double>(screen.total - screen.done) / screen.rate;
  }
  sort_rows(screen.processes, sort);
  return screen;
}

}  // namespace dupipe::top
