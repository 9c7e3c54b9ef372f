// One download at a time through the same Engine the stage uses (ranges, retries, limits,
// naming): fetch() returns when the file is complete under its final name in the files
// directory, or with the cause of the failure. No partial file survives either way.
#pragma once

#include <iostream>

#include "common/base/logger.hpp"
#include "fetcher/async_fetcher.hpp"
#include "fetcher/engine.hpp"

namespace dupipe::fetcher {

class Downloader final : public UrlFetcher {
 public:
  explicit Downloader(DownloadOptions options);

  // The error message is the cause only ("HTTP 404", "connect failed: ..."); callers add the URL.
  [[nodiscard]] Expected<DownloadedFile> fetch(const UrlRecord& record) override;

 private:
  Logger logger_;
  Engine engine_;
};

}  // namespace dupipe::fetcher
