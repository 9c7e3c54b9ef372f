// The fetcher stage loop: U records (or bare URL lines) in, P records (downloaded files) or F
// records (failures with their cause) out; failures from upstream pass through unchanged.
#pragma once

#include <cstdint>
#include <string>

#include "common/endpoint.hpp"
#include "common/logger.hpp"
#include "common/url_intake.hpp"
#include "fetcher/downloader.hpp"

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

// Anything that turns a URL record into a file; the Downloader in production, a fake in tests.
class UrlFetcher {
 public:
  virtual ~UrlFetcher() = default;
  [[nodiscard]] virtual Expected<DownloadedFile> fetch(const UrlRecord& record) = 0;
};

class CurlUrlFetcher final : public UrlFetcher {
 public:
  explicit CurlUrlFetcher(DownloadOptions options) : downloader_(std::move(options)) {}
  [[nodiscard]] Expected<DownloadedFile> fetch(const UrlRecord& record) override {
    return downloader_.fetch(record);
  }

 private:
  Downloader downloader_;
};

// Throws FatalError(kProtocol) on a record that a fetcher cannot take (P or H).
[[nodiscard]] Counts run(RecordReader& input, RecordWriter& output, UrlFetcher& fetcher,
                         const UrlPolicy& policy, const Logger& logger);

}  // namespace dupipe::fetcher
