// The fetcher stage loop: U records (or bare URL lines) in, P records (downloaded files) or F
// records (failures with their cause) out; failures from upstream pass through unchanged. With
// the curl Engine many downloads run at once, so output order follows completion, not input.
#pragma once

#include <cstdint>
#include <string>

#include "common/base/logger.hpp"
#include "common/protocol/url_intake.hpp"
#include "common/transport/endpoint.hpp"
#include "fetcher/async_fetcher.hpp"
#include "fetcher/download_options.hpp"
#include "fetcher/link_feedback.hpp"

namespace dupipe::fetcher {

struct Config {
  std::string in = "-";
  std::string out = "-";
  DownloadOptions download;
};

struct Counts {
  std::uint64_t fetched = 0;
  std::uint64_t failed = 0;
  std::uint64_t passed_through = 0;
};

// Throws FatalError(kProtocol) on a record that a fetcher cannot take (P or H). With `feedback`
// (crawl mode) each U record's page also gets its links and its D record there.
[[nodiscard]] Counts run(RecordReader& input, RecordWriter& output, AsyncFetcher& fetcher,
                         const UrlPolicy& policy, const Logger& logger,
                         LinkFeedback* feedback = nullptr);

// The same loop over a one-at-a-time fetcher.
[[nodiscard]] Counts run(RecordReader& input, RecordWriter& output, UrlFetcher& fetcher,
                         const UrlPolicy& policy, const Logger& logger,
                         LinkFeedback* feedback = nullptr);

}  // namespace dupipe::fetcher
