#include "fetcher/downloader.hpp"

namespace dupipe::fetcher {

Downloader::Downloader(DownloadOptions options)
    : logger_("fetcher", std::cerr), engine_(std::move(options), logger_) {}

Expected<DownloadedFile> Downloader::fetch(const UrlRecord& record) {
  engine_.start(record, DeliveryTag{});  // not from an endpoint: nothing to acknowledge
  // Bounded by the transfer's own limits (--timeout, low-speed abort, retries).
  while (true) {
    engine_.progress(100);
    auto completions = engine_.take_completions();
    if (!completions.empty()) return std::move(completions.front().result);
  }
}

}  // namespace dupipe::fetcher
