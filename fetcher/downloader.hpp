// Downloads one URL at a time with a reused libcurl easy handle (connections and DNS results are
// kept between transfers). The body goes to a hidden temporary file in the files directory that
// is renamed to its final name only when the transfer succeeded: no partial file is passed on.
#pragma once

#include <cstdint>
#include <string>

#include "common/c_handles.hpp"
#include "common/error.hpp"
#include "common/records.hpp"

namespace dupipe::fetcher {

struct DownloadOptions {
  std::string files_dir = "files";
  std::uint64_t max_filesize_bytes = 1ULL << 30;  // 0 = no limit
  long connect_timeout_s = 10;
  long timeout_s = 600;          // whole transfer; 0 = no limit
  long low_speed_limit_bps = 1;  // abort below this many bytes/s ...
  long low_speed_time_s = 30;    // ... sustained for this long
  long max_redirects = 10;
  bool allow_file = false;
  bool insecure = false;
};

struct DownloadedFile {
  std::string path;
  std::uint64_t size = 0;
};

class Downloader {
 public:
  explicit Downloader(DownloadOptions options);

  // The error message is the cause only ("HTTP 404", "connect failed: ..."); callers add the URL.
  [[nodiscard]] Expected<DownloadedFile> fetch(const UrlRecord& record);

 private:
  DownloadOptions options_;
  CurlEasy curl_;
};

}  // namespace dupipe::fetcher
