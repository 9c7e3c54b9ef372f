#include "bench/ipc/report.hpp"

#include <cstdio>
#include <map>
#include <vector>

#include "bench/ipc/measure.hpp"

namespace dupipe::bench {
namespace {

constexpr std::size_t kSmall = 64;
constexpr std::size_t kLarge = 4096;

struct Row {
  Throughput small_1x1, small_2x2, large_1x1, large_2x2;
  Latency round_trip;
};

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string millions(double per_s) { return fixed(per_s / 1e6, 2) + " M"; }

Row measure_row(const ChannelKind& kind, const Plan& plan, const std::string& scratch) {
  Row row;
  row.small_1x1 = measure_throughput(kind, scratch, 1, 1, kSmall, plan.small_records);
  row.small_2x2 = measure_throughput(kind, scratch, 2, 2, kSmall, plan.small_records);
  row.large_1x1 = measure_throughput(kind, scratch, 1, 1, kLarge, plan.large_records);
  row.large_2x2 = measure_throughput(kind, scratch, 2, 2, kLarge, plan.large_records);
  row.round_trip = measure_round_trip(kind, scratch, kSmall, plan.round_trips);
  return row;
}

void print_ratios(const std::map<std::string, Row>& rows, std::ostream& out) {
  const auto find = [&](const std::string& name) {
    const auto it = rows.find(name);
    return it == rows.end() ? nullptr : &it->second;
  };
  const Row* shm = find("dupipe shm queue");
  const Row* mq = find("Boost message_queue");
  const Row* pipe = find("anonymous pipe");
  if (shm == nullptr) return;
  out << "\nGoals (dupipe shm queue):\n";
  if (mq != nullptr) {
    out << "- 64 B SPSC vs Boost message_queue: "
        << fixed(shm->small_1x1.records_per_s / mq->small_1x1.records_per_s, 2)
        << "x (goal >= 2x)\n";
  }
  if (pipe != nullptr) {
    out << "- 64 B SPSC vs anonymous pipe: "
        << fixed(shm->small_1x1.records_per_s / pipe->small_1x1.records_per_s, 2)
        << "x (goal >= 3x)\n";
  }
  out << "- 4 KiB SPSC: " << fixed(shm->large_1x1.mb_per_s / 1000, 2) << " GB/s (goal >= 3)\n"
      << "- round trip median: " << fixed(shm->round_trip.median_us, 2) << " us (goal <= 2)\n";
}

}  // namespace

void print_table(const Plan& plan, const std::string& scratch, std::ostream& out) {
  out << "64 B: " << plan.small_records << " records, 4 KiB: " << plan.large_records
      << " records per run; ping-pong: " << plan.round_trips << " round trips of 64 B\n\n"
      << "| channel | 64 B 1x1 rec/s | 64 B 1x1 MB/s | 64 B 2x2 rec/s | 4 KiB 1x1 MB/s |"
         " 4 KiB 2x2 MB/s | RTT p50 us | RTT p99 us |\n"
      << "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  std::map<std::string, Row> rows;
  for (const ChannelKind& kind : channel_kinds()) {
    if (!plan.only.empty() && kind.name.find(plan.only) == std::string::npos) continue;
    const Row row = measure_row(kind, plan, scratch);
    rows[kind.name] = row;
    out << "| " << kind.name << " | " << millions(row.small_1x1.records_per_s) << " | "
        << fixed(row.small_1x1.mb_per_s, 0) << " | " << millions(row.small_2x2.records_per_s)
        << " | " << fixed(row.large_1x1.mb_per_s, 0) << " | " << fixed(row.large_2x2.mb_per_s, 0)
        << " | " << fixed(row.round_trip.median_us, 2) << " | " << fixed(row.round_trip.p99_us, 2)
        << " |" << std::endl;
  }
  print_ratios(rows, out);
}

}  // namespace dupipe::bench
