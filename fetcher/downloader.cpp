#include "fetcher/downloader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "common/signals.hpp"
#include "common/sys.hpp"
#include "fetcher/file_naming.hpp"

namespace dupipe::fetcher {
namespace {

// What the write callback needs; it must not throw, so failures are stored here.
struct TransferState {
  int fd = -1;
  std::uint64_t bytes = 0;
  std::uint64_t limit_bytes = 0;
  std::string error;
};

extern "C" std::size_t write_body(char* data, std::size_t size, std::size_t count,
                                  void* user) noexcept {
  auto& state = *static_cast<TransferState*>(user);
  const std::size_t length = size * count;
  // libcurl 7.88 does not enforce CURLOPT_MAXFILESIZE on bodies of unannounced size: count here.
  if (state.limit_bytes != 0 && state.bytes + length > state.limit_bytes) {
    state.error = "body exceeds --max-filesize (" + std::to_string(state.limit_bytes) + " bytes)";
    return 0;
  }
  try {
    sys::write_all(state.fd, std::string_view(data, length), "temporary file");
  } catch (const std::exception& e) {
    state.error = e.what();
    return 0;
  }
  state.bytes += length;
  return length;
}

// Lets SIGINT/SIGTERM end a long transfer: libcurl calls this at least once a second.
extern "C" int abort_if_stopping(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
  return stop_signal() != 0 ? 1 : 0;
}

// Removes the temporary file on every path except a successful rename.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!is_committed_) ::unlink(path_.c_str());
  }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] Expected<void> commit_as(const std::string& final_path) {
    if (::rename(path_.c_str(), final_path.c_str()) != 0) {
      return fail(errno_message("rename to " + final_path, errno));
    }
    is_committed_ = true;
    return {};
  }

 private:
  std::string path_;
  bool is_committed_ = false;
};

std::string curl_failure(CURLcode code, const char* detail, const TransferState& state) {
  if (!state.error.empty()) return state.error;
  std::string message = curl_easy_strerror(code);
  if (detail[0] != '\0') message += std::string(": ") + detail;
  return message;
}

}  // namespace

Downloader::Downloader(DownloadOptions options)
    : options_(std::move(options)), curl_(curl_easy_init()) {
  if (!curl_) throw FatalError("curl_easy_init failed");
}

Expected<DownloadedFile> Downloader::fetch(const UrlRecord& record) {
  TempFile temp(options_.files_dir + "/.part-" + std::to_string(::getpid()));
  auto fd = sys::open_file(temp.path(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
  if (!fd) return fail("cannot create temporary file: " + fd.error().message);

  TransferState state{fd->get(), 0, options_.max_filesize_bytes, {}};
  std::array<char, CURL_ERROR_SIZE> detail{};
  CURL* curl = curl_.get();
  curl_easy_reset(curl);  // keeps the connection cache: reuse is the point of one handle
  curl_easy_setopt(curl, CURLOPT_URL, record.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, options_.allow_file ? "http,https,file" : "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, options_.max_redirects);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, options_.timeout_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_limit_bps);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options_.low_speed_time_s);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.insecure ? 0L : 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.insecure ? 0L : 2L);
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_filesize_bytes));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "dupipe/" DUPIPE_VERSION);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail.data());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_if_stopping);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

  const CURLcode code = curl_easy_perform(curl);
  throw_if_stopped();
  if (code != CURLE_OK) return fail(curl_failure(code, detail.data(), state));
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400) return fail("HTTP " + std::to_string(status));

  const char* content_type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type);
  const std::string final_path = options_.files_dir + "/" +
      build_file_name(record.id, record.url, content_type ? content_type : "");
  if (auto ok = temp.commit_as(final_path); !ok) return tl::unexpected(ok.error());
  return DownloadedFile{final_path, state.bytes};
}

}  // namespace dupipe::fetcher
