// Everything a fetcher's downloads are configured by, filled from the command line in main and
// passed down by value (no globals). Defaults are those of `fetcher --help`.
#pragma once

#include <cstdint>
#include <string>

#include "fetcher/retry_policy.hpp"

namespace dupipe::fetcher {

struct DownloadOptions {
  std::string files_dir = "files";
  std::uint64_t max_filesize_bytes = 1ULL << 30;  // 0 = no limit; counted while streaming too
  long connect_timeout_s = 10;
  long timeout_s = 600;          // whole transfer; 0 = no limit
  long low_speed_limit_bps = 1;  // abort below this many bytes/s (--min-speed) ...
  long low_speed_time_s = 30;    // ... sustained for this long (--min-speed-time)
  long max_redirects = 10;
  bool allow_file = false;
  bool insecure = false;
  bool compressed = false;  // ask for gzip/deflate/br; the limit applies to the decoded bytes
  bool resume = false;      // continue partial files left by an earlier run (control files)
  int transfers = 8;        // concurrent transfers in this process
  int per_host = 6;         // concurrent transfers to one host
  int segments = 8;         // ranges of one large file fetched in parallel
  std::uint64_t segment_threshold_bytes = 8ULL << 20;  // smallest file that is segmented
  std::uint64_t min_steal_bytes = 1ULL << 20;          // smallest range an idle transfer takes over
  std::uint64_t save_interval_ms = 5000;               // control files refreshed this often
  RetryOptions retry;
};

}  // namespace dupipe::fetcher
