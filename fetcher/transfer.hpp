// One HTTP request of a download: a libcurl easy handle, the request it makes (whole body, or one
// byte range with If-Range) and what came back (the final response's headers, bytes received,
// the error a callback met). The curl callbacks are noexcept: they hand the body to the Job that
// owns the file and store any failure here. Owned by the Engine; refers to its Job, which
// outlives it. Single-threaded.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/os/c_handles.hpp"
#include "fetcher/download_options.hpp"

namespace dupipe::fetcher {

class Job;

struct Request {
  std::size_t segment = 0;
  std::uint64_t from = 0;
  std::optional<std::uint64_t> end;  // exclusive; nullopt: to the end of the body
  bool is_ranged = false;
  bool expects_complete = false;  // resume of a finished file: a 416 confirms it
  std::string if_range;           // validator the range must still belong to
};

// Headers of the last response (a redirect's headers are forgotten at the next status line).
struct ResponseHeaders {
  std::string content_range;
  std::string etag;
  std::string last_modified;
  std::string content_disposition;
  std::string content_encoding;
  std::string retry_after;
};

struct TransferError {
  std::string message;
  bool is_transient = false;
  bool is_busy = false;  // HTTP 429 or 503: the server asks its clients to slow down
};

class Transfer {
 public:
  Transfer(Job& job, std::uint64_t generation, Request request, const DownloadOptions& options,
           const std::string& url);
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  [[nodiscard]] CURL* handle() const { return easy_.get(); }
  [[nodiscard]] Job& job() const { return job_; }
  [[nodiscard]] const Request& request() const { return request_; }
  [[nodiscard]] const ResponseHeaders& headers() const { return headers_; }
  [[nodiscard]] long status() const;
  // Content-Length of the final response; nullopt when not announced.
  [[nodiscard]] std::optional<std::uint64_t> content_length() const;
  [[nodiscard]] std::string content_type() const;
  [[nodiscard]] std::string effective_url() const;
  // libcurl's message for `code`, with the detail of its error buffer.
  [[nodiscard]] std::string curl_message(CURLcode code) const;

  std::uint64_t generation;
  std::size_t segment = 0;
  std::uint64_t body_offset = 0;  // file offset of the body's first byte (206: its Content-Range)
  std::uint64_t received = 0;
  bool is_checked = false;         // the response was validated (at the first body byte)
  bool is_stopped_at_end = false;  // we ended it on purpose: its range was done
  std::optional<TransferError> error;

  // Called by the static callbacks.
  void take_header_line(std::string_view line);

 private:
  void set_options(const DownloadOptions& options, const std::string& url);

  Job& job_;
  Request request_;
  CurlEasy easy_;
  CurlSlist request_headers_;
  ResponseHeaders headers_;
  std::array<char, CURL_ERROR_SIZE> error_buffer_{};
};

}  // namespace dupipe::fetcher
