#include "fetcher/transfer.hpp"

#include <cctype>
#include <exception>

#include "common/base/error.hpp"
#include "common/base/version.hpp"
#include "fetcher/content_range.hpp"
#include "fetcher/job.hpp"

namespace dupipe::fetcher {
namespace {

constexpr long kReceiveBufferBytes = 256 * 1024;

bool has_name(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

std::string value_of(std::string_view line) {
  return std::string(trim_header_value(line.substr(line.find(':') + 1)));
}

extern "C" std::size_t on_body(char* data, std::size_t size, std::size_t count,
                               void* user) noexcept {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t length = size * count;
  try {
    return transfer.job().on_body(transfer, std::string_view(data, length)) ? length : 0;
  } catch (const std::exception& e) {
    transfer.error = TransferError{e.what(), false};
    return 0;
  }
}

extern "C" std::size_t on_header(char* data, std::size_t size, std::size_t count,
                                 void* user) noexcept {
  auto& transfer = *static_cast<Transfer*>(user);
  try {
    transfer.take_header_line(std::string_view(data, size * count));
  } catch (const std::exception& e) {
    transfer.error = TransferError{e.what(), false};
    return 0;
  }
  return size * count;
}

}  // namespace

Transfer::Transfer(Job& job, std::uint64_t generation_, Request request,
                   const DownloadOptions& options, const std::string& url)
    : generation(generation_),
      segment(request.segment),
      job_(job),
      request_(std::move(request)),
      easy_(curl_easy_init()) {
  if (!easy_) throw FatalError("curl_easy_init failed");
  set_options(options, url);
}

void Transfer::set_options(const DownloadOptions& options, const std::string& url) {
  CURL* curl = easy_.get();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
                   options.allow_file ? "http,https,file" : "http,https");
  // A redirect to file:// would read local files; only http and https are followed.
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  // libcurl 7.88 follows redirects without limit unless told.
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, options.max_redirects);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, options.timeout_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_limit_bps);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options.low_speed_time_s);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.insecure ? 0L : 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options.insecure ? 0L : 2L);
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options.max_filesize_bytes));
  // Without --compressed no Accept-Encoding is sent and nothing is decoded: the stored bytes are
  // the body as served. With it, the write callback counts decoded bytes against the limit.
  if (options.compressed) curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // libcurl's default 16 KiB receive buffer made a write callback and a pwrite per 16 KiB:
  // most of the engine thread's system calls for files of 100 KiB or so.
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, kReceiveBufferBytes);
  const std::string user_agent = "dupipe/" + std::string(version());  // libcurl copies it
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer_.data());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(curl, CURLOPT_PRIVATE, this);
  if (request_.is_ranged) {
    const std::string range = std::to_string(request_.from) + "-" +
                              (request_.end ? std::to_string(*request_.end - 1) : "");
    curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());  // libcurl copies the string
  }
  if (!request_.if_range.empty()) {
    // Validators come from the server; a CR or LF must not end up as a header of our own.
    if (request_.if_range.find_first_of("\r\n") == std::string::npos) {
      request_headers_.reset(
          curl_slist_append(nullptr, ("If-Range: " + request_.if_range).c_str()));
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, request_headers_.get());
    }
  }
}

void Transfer::take_header_line(std::string_view line) {
  if (line.starts_with("HTTP/")) {
    headers_ = ResponseHeaders{};  // a new response (after a redirect or a 100 Continue)
  } else if (has_name(line, "content-range")) {
    headers_.content_range = value_of(line);
  } else if (has_name(line, "etag")) {
    headers_.etag = value_of(line);
  } else if (has_name(line, "last-modified")) {
    headers_.last_modified = value_of(line);
  } else if (has_name(line, "content-disposition")) {
    headers_.content_disposition = value_of(line);
  } else if (has_name(line, "content-encoding")) {
    headers_.content_encoding = value_of(line);
  } else if (has_name(line, "retry-after")) {
    headers_.retry_after = value_of(line);
  }
}

long Transfer::status() const {
  long status = 0;
  curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &status);
  return status;
}

std::optional<std::uint64_t> Transfer::content_length() const {
  curl_off_t length = -1;
  curl_easy_getinfo(easy_.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  if (length < 0) return std::nullopt;
  return static_cast<std::uint64_t>(length);
}

std::string Transfer::content_type() const {
  const char* type = nullptr;
  curl_easy_getinfo(easy_.get(), CURLINFO_CONTENT_TYPE, &type);
  return type != nullptr ? type : "";
}

std::string Transfer::effective_url() const {
  const char* url = nullptr;
  curl_easy_getinfo(easy_.get(), CURLINFO_EFFECTIVE_URL, &url);
  return url != nullptr ? url : "";
}

std::string Transfer::curl_message(CURLcode code) const {
  std::string message = curl_easy_strerror(code);
  if (error_buffer_[0] != '\0') message += std::string(": ") + error_buffer_.data();
  return message;
}

}  // namespace dupipe::fetcher
