// The two measurements of bench/ipc, each in fresh processes: throughput (S sender processes each
// send their share of N fixed-size records, R receiver processes drain the channel to its end)
// and ping-pong round-trip latency between two processes over a pair of channels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bench/ipc/channels.hpp"

namespace dupipe::bench {

struct Throughput {
  double records_per_s = 0;
  double mb_per_s = 0;  // 10^6 bytes of records per second
};

struct Latency {
  double median_us = 0;
  double p99_us = 0;
};

// Throws std::runtime_error if a child fails or fewer bytes arrive than were sent.
[[nodiscard]] Throughput measure_throughput(const ChannelKind& kind, const std::string& scratch,
                                            int senders, int receivers, std::size_t record_bytes,
                                            std::uint64_t records);

[[nodiscard]] Latency measure_round_trip(const ChannelKind& kind, const std::string& scratch,
                                         std::size_t record_bytes, int round_trips);

}  // namespace dupipe::bench
