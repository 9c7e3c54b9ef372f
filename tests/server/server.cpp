#include "server.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

namespace dupipe::testserver {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view kProgram = "dupipe-testserver";
constexpr std::uint64_t kChunkSize = 64 * 1024;
// Drip writes are sized so the client sees ~20 small writes per second, which
// looks like a steady rate rather than bursts.
constexpr std::uint64_t kDripWritesPerSecond = 20;
// Caps /_slow so a typo cannot park a worker for years (stop() ends it anyway).
constexpr std::uint64_t kMaxDelayMs = 24ULL * 3600 * 1000;
// Matches every path, including ones whose decoded form contains newlines.
constexpr const char* kAnyPath = R"([\s\S]*)";

constexpr std::string_view kUsageNotes =
    R"(Error injection (path prefixes, may be stacked: /_slow/200/_reset/1000/big.bin):
  /_status/<code>[?retry_after=N]  empty body with status <code> (200-599),
                                   plus Retry-After: N when given
  /_slow/<ms>/<file path>          wait <ms> milliseconds before answering
  /_drip/<bytes_per_sec>/<file>    send the body at about that rate
  /_reset/<bytes>/<file path>      announce the full Content-Length, send only
                                   <bytes> body bytes, then drop the connection
  /_redirect/<n>/<file path>       302 chain of <n> hops ending at the file
  /_redirect_loop                  302 to itself forever
  /_norange/<file path>            ignore Range: always 200 with the full body
  /_nolength/<file path>           chunked body without Content-Length
  /_cr200/<file path>              ignore Range, answer 200 with a Content-Range
  /_early/<n>/<file path>          a 206 starting n bytes before the requested
                                   offset (Content-Range says so)
  /_short206/<n>/<file path>       a 206 of at most n bytes of the range asked
  /_tarpit/<ms>/<file path>        one body byte every <ms> milliseconds
  /_endless                        a chunked body of zeros that never ends
  /_gzip/<file path>               the file as is, labelled Content-Encoding: gzip
  /_html/<file path>               the file labelled Content-Type: text/html
  /_disposition/<file>?cd=<value>  Content-Disposition: <value> (query-decoded)
  /_fail/<n>/<code>/<file path>    the first n requests of this exact target get
                                   <code> (Retry-After: 1 on 429/503); code 0
                                   drops the connection after 1000 body bytes,
                                   code 1 stalls (one body byte per second)
  /_slownth/<k>/<bytes_per_sec>/<file>  the k-th request of this exact target
                                   is sent at that rate, the others at full
                                   speed (one slow range among fast ones)
  /_location?to=<url>              302 to any URL (file://, ftp://, ...)
  /_stats, /_stats/reset           counters: requests, ranged (206s), body_bytes
                                   (sent), max_active (concurrent bodies),
                                   connections (client ports seen)
Plain paths serve files under --root (GET/HEAD, single byte ranges, ETag,
Last-Modified); ".." or symlinks leaving the root get 403.

Exit codes:
  0  stopped by SIGINT or SIGTERM
  1  runtime error (root missing, address in use, port file unwritable)
  2  usage error)";

void log_line(std::string_view message) {
  std::string line{kProgram};
  line += '[';
  line += std::to_string(::getpid());
  line += "]: ";
  line += message;
  line += '\n';
  // One call per line so lines from concurrent workers never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::optional<std::uint64_t> parse_uint(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::vector<std::string> split_path(std::string_view path) {
  if (path.starts_with('/')) path.remove_prefix(1);
  std::vector<std::string> segments;
  for (std::size_t slash; (slash = path.find('/')) != std::string_view::npos;) {
    segments.emplace_back(path.substr(0, slash));
    path.remove_prefix(slash + 1);
  }
  segments.emplace_back(path);
  return segments;
}

std::string join_path(const std::vector<std::string>& segments, std::size_t from) {
  std::string joined;
  for (std::size_t i = from; i < segments.size(); ++i) {
    if (i > from) joined += '/';
    joined += segments[i];
  }
  return joined;
}

// The handlers see decoded paths; a Location header needs them encoded again.
std::string percent_encode_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || std::strchr("-._~/", c) != nullptr) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 0xF];
    }
  }
  return encoded;
}

std::string mime_type_for(const fs::path& path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".txt", "text/plain; charset=utf-8"},
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".css", "text/css"},
      {".csv", "text/csv"},
      {".js", "text/javascript"},
      {".json", "application/json"},
      {".xml", "application/xml"},
      {".pdf", "application/pdf"},
      {".zip", "application/zip"},
      {".gz", "application/gzip"},
      {".tar", "application/x-tar"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".svg", "image/svg+xml"},
      {".webp", "image/webp"},
      {".mp3", "audio/mpeg"},
      {".mp4", "video/mp4"},
  };
  std::string extension = path.extension().string();
  std::ranges::transform(extension, extension.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [known, type] : kTypes) {
    if (extension == known) return std::string{type};
  }
  return "application/octet-stream";
}

std::string http_date(std::time_t time) {
  std::tm utc{};
  ::gmtime_r(&time, &utc);
  char text[64];
  const std::size_t length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(text, length);
}

// Read-only file kept open for the lifetime of one response; pread() lets the
// body be streamed in chunks without holding it in memory or sharing a seek
// position.
class OpenFile {
 public:
  static std::shared_ptr<OpenFile> open(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    std::shared_ptr<OpenFile> file(new OpenFile(fd));  // owns fd from here on
    if (::fstat(fd, &file->info_) != 0 || !S_ISREG(file->info_.st_mode)) return nullptr;
    return file;
  }
  ~OpenFile() { ::close(fd_); }  // owner
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;

  std::uint64_t size() const { return static_cast<std::uint64_t>(info_.st_size); }

  // Strong validator: changes whenever the size or the mtime (in ns) does.
  std::string etag() const {
    char text[64];
    const auto mtime_ns = static_cast<std::uint64_t>(info_.st_mtim.tv_sec) * 1'000'000'000ULL +
                          static_cast<std::uint64_t>(info_.st_mtim.tv_nsec);
    std::snprintf(text, sizeof text, "\"%llx-%llx\"", static_cast<unsigned long long>(size()),
                  static_cast<unsigned long long>(mtime_ns));
    return text;
  }

  std::string last_modified() const { return http_date(info_.st_mtim.tv_sec); }

  bool read_at(char* buffer, std::uint64_t length, std::uint64_t offset) const {
    while (length > 0) {
      const ssize_t got = ::pread(fd_, buffer, length, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;  // error, or the file shrank under us
      buffer += got;
      length -= static_cast<std::uint64_t>(got);
      offset += static_cast<std::uint64_t>(got);
    }
    return true;
  }

 private:
  explicit OpenFile(int fd) : fd_(fd) {}

  int fd_;
  struct stat info_ {};
};

// Lets waits inside handlers (/_slow, /_drip) end early on shutdown, so a
// stop never has to sit out a long injected delay.
class StopSignal {
 public:
  void raise() {
    {
      std::lock_guard lock(mutex_);
      raised_ = true;
    }
    wake_.notify_all();
  }
  // False if the wait was cut short by raise().
  bool sleep_until(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_until(lock, deadline, [this] { return raised_; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool raised_ = false;
};

// What one request asks for once its injection prefixes are peeled off.
struct Plan {
  std::chrono::milliseconds delay{0};
  std::optional<int> status;
  bool redirect_loop = false;
  std::optional<std::string> redirect_to;  // decoded path of the next hop
  std::optional<std::uint64_t> drip_rate;
  std::optional<std::uint64_t> reset_after;
  bool ignore_range = false;
  bool chunked = false;
  bool content_range_on_200 = false;
  bool endless = false;
  bool gzip_label = false;
  std::uint64_t early_bytes = 0;
  std::optional<std::uint64_t> short_206;
  std::optional<std::uint64_t> tarpit_ms;
  bool disposition = false;
  bool html_label = false;  // /_html: Content-Type text/html whatever the file's name
  std::optional<std::uint64_t> fail_first;
  int fail_code = 0;
  std::optional<std::uint64_t> slow_nth;  // /_slownth: which request of the target is slow
  std::uint64_t slow_rate = 0;
  std::string file;  // decoded, relative to the root
};

bool takes_argument(std::string_view name) {
  return name == "_status" || name == "_slow" || name == "_drip" || name == "_reset" ||
         name == "_redirect" || name == "_early" || name == "_short206" || name == "_tarpit";
}

// The next hop keeps the rest of the path (including later prefixes) and
// counts the redirect down, dropping it on the last hop.
std::string next_redirect_hop(std::vector<std::string> segments, std::size_t at,
                              std::uint64_t hops) {
  if (hops > 1) {
    segments[at + 1] = std::to_string(hops - 1);
  } else {
    segments.erase(segments.begin() + static_cast<std::ptrdiff_t>(at),
                   segments.begin() + static_cast<std::ptrdiff_t>(at + 2));
  }
  std::string hop{'/'};
  hop += join_path(segments, 0);
  return hop;
}

// Applies one "<name>/<value>" prefix; false when the value is out of range.
bool apply_argument(Plan& plan, std::string_view name, std::uint64_t value) {
  if (name == "_status") {
    if (value < 200 || value > 599) return false;
    plan.status = static_cast<int>(value);
  } else if (name == "_slow") {
    plan.delay += std::chrono::milliseconds(std::min(value, kMaxDelayMs));
  } else if (name == "_drip") {
    if (value == 0) return false;
    plan.drip_rate = value;
  } else if (name == "_reset") {
    plan.reset_after = value;
  } else if (name == "_early") {
    plan.early_bytes = value;
  } else if (name == "_short206") {
    if (value == 0) return false;
    plan.short_206 = value;
  } else if (name == "_tarpit") {
    if (value == 0) return false;
    plan.tarpit_ms = std::min(value, kMaxDelayMs);
  }
  return true;
}

// Peels injection prefixes off the decoded path; nullopt means a malformed
// prefix (answered 400).
std::optional<Plan> parse_plan(std::string_view path) {
  const std::vector<std::string> segments = split_path(path);
  Plan plan;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& name = segments[i];
    if (name == "_redirect_loop") {
      plan.redirect_loop = true;
      return plan;
    }
    if (name == "_norange") {
      plan.ignore_range = true;
      continue;
    }
    if (name == "_nolength") {
      plan.chunked = true;
      continue;
    }
    if (name == "_cr200" || name == "_gzip") {
      (name == "_cr200" ? plan.content_range_on_200 : plan.gzip_label) = true;
      continue;
    }
    if (name == "_endless") {
      plan.endless = true;
      return plan;
    }
    if (name == "_disposition") {
      plan.disposition = true;
      continue;
    }
    if (name == "_html") {
      plan.html_label = true;
      continue;
    }
    if (name == "_fail" && i + 2 < segments.size()) {
      const auto count = parse_uint(segments[i + 1]);
      const auto code = parse_uint(segments[i + 2]);
      if (!count || !code || (*code > 1 && (*code < 200 || *code > 599))) return std::nullopt;
      plan.fail_first = *count;
      plan.fail_code = static_cast<int>(*code);
      i += 2;
      continue;
    }
    if (name == "_slownth" && i + 2 < segments.size()) {
      const auto nth = parse_uint(segments[i + 1]);
      const auto rate = parse_uint(segments[i + 2]);
      if (!nth || !rate || *nth == 0 || *rate == 0) return std::nullopt;
      plan.slow_nth = *nth;
      plan.slow_rate = *rate;
      i += 2;
      continue;
    }
    if (!takes_argument(name)) {
      plan.file = join_path(segments, i);
      return plan;
    }
    const auto value = i + 1 < segments.size() ? parse_uint(segments[i + 1]) : std::nullopt;
    if (!value || !apply_argument(plan, name, *value)) return std::nullopt;
    if (plan.status) return plan;
    if (name == "_redirect" && *value > 0) {
      plan.redirect_to = next_redirect_hop(segments, i, *value);
      return plan;
    }
    ++i;
  }
  return plan;  // only prefixes, no file: answered 404
}

struct ByteRange {
  std::uint64_t offset;
  std::uint64_t length;
};
struct Unsatisfiable {};
// monostate: no usable Range header, serve the whole file.
using RangeRequest = std::variant<std::monostate, ByteRange, Unsatisfiable>;

// Single ranges only ("a-b", "a-", "-n"); anything else is ignored, which RFC
// 9110 allows and which makes the server answer 200 with the full body.
RangeRequest parse_range(std::string_view header, std::uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  header = trim(header);
  if (!header.starts_with(kUnit) || header.find(',') != std::string_view::npos) return {};
  header.remove_prefix(kUnit.size());
  const std::size_t dash = header.find('-');
  if (dash == std::string_view::npos) return {};
  const std::string_view first_text = trim(header.substr(0, dash));
  const std::string_view last_text = trim(header.substr(dash + 1));
  if (first_text.empty()) {
    const auto suffix = parse_uint(last_text);
    if (!suffix) return {};
    if (*suffix == 0 || size == 0) return Unsatisfiable{};
    const std::uint64_t length = std::min(*suffix, size);
    return ByteRange{size - length, length};
  }
  const auto first = parse_uint(first_text);
  const auto last =
      last_text.empty() ? std::optional<std::uint64_t>{UINT64_MAX} : parse_uint(last_text);
  if (!first || !last || *last < *first) return {};
  if (*first >= size) return Unsatisfiable{};
  return ByteRange{*first, std::min(*last, size - 1) - *first + 1};
}

RangeRequest requested_range(const httplib::Request& request, const OpenFile& file) {
  const std::string if_range = request.get_header_value("If-Range");
  // A stale If-Range validator means "send everything", per RFC 9110.
  if (!if_range.empty() && if_range != file.etag() && if_range != file.last_modified()) return {};
  return parse_range(request.get_header_value("Range"), file.size());
}

// Refuses ".." outright and symlinks that lead out of the root. Returns the
// canonical file path or the HTTP status to answer with.
std::variant<fs::path, int> resolve_under_root(const fs::path& root, std::string_view relative) {
  fs::path candidate = root;
  for (const std::string& segment : split_path(relative)) {
    if (segment == "..") return 403;
    if (segment.find('\0') != std::string::npos) return 404;
    if (!segment.empty() && segment != ".") candidate /= segment;
  }
  std::error_code error;
  const fs::path real = fs::canonical(candidate, error);
  if (error) return 404;
  const auto [root_end, unused] = std::mismatch(root.begin(), root.end(), real.begin(), real.end());
  if (root_end != root.end()) return 403;
  if (!fs::is_regular_file(real, error)) return 404;
  return real;
}

// Server-side counters a test reads from /_stats: how many ranges were asked
// for, how many body bytes really left, how many bodies were sent at once.
struct Stats {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> ranged{0};
  std::atomic<std::uint64_t> body_bytes{0};
  std::atomic<std::uint64_t> active{0};
  std::atomic<std::uint64_t> max_active{0};
  std::mutex ports_mutex;
  std::set<int> client_ports;  // one per TCP connection: shows whether clients reuse them

  void saw_client(int port) {
    const std::lock_guard lock(ports_mutex);
    client_ports.insert(port);
  }
  void begin_body() {
    const std::uint64_t now = ++active;
    std::uint64_t seen = max_active;
    while (now > seen && !max_active.compare_exchange_weak(seen, now)) {
    }
  }
  void end_body() { --active; }
  void reset() {
    requests = 0;
    ranged = 0;
    body_bytes = 0;
    max_active = active.load();
    const std::lock_guard lock(ports_mutex);
    client_ports.clear();
  }
  std::string text() {
    const std::lock_guard lock(ports_mutex);
    return "requests " + std::to_string(requests) + "\nranged " + std::to_string(ranged) +
           "\nbody_bytes " + std::to_string(body_bytes) + "\nmax_active " +
           std::to_string(max_active) + "\nconnections " + std::to_string(client_ports.size()) +
           "\n";
  }
};

// Produces the response body chunk by chunk, applying the drip, tarpit and
// reset injections on the way.
class BodyStreamer {
 public:
  BodyStreamer(std::shared_ptr<const OpenFile> file, ByteRange range, const Plan& plan,
               StopSignal& stop, Stats& stats)
      : file_(std::move(file)),
        range_(range),
        drip_rate_(plan.drip_rate),
        reset_after_(plan.reset_after),
        tarpit_ms_(plan.tarpit_ms),
        stop_(stop),
        stats_(stats) {
    stats_.begin_body();
  }
  ~BodyStreamer() { stats_.end_body(); }
  BodyStreamer(const BodyStreamer&) = delete;
  BodyStreamer& operator=(const BodyStreamer&) = delete;

  // Called by httplib with the offset into the body it still needs; for the
  // chunked form `sink.done()` marks the end.
  bool send(std::uint64_t offset, httplib::DataSink& sink) {
    if (offset >= range_.length) {
      sink.done();
      return true;
    }
    // Returning false makes httplib close the connection mid-body.
    if (reset_after_ && offset >= *reset_after_) return false;
    if (drip_rate_ && !stop_.sleep_until(drip_deadline(offset))) return false;
    if (tarpit_ms_ && !stop_.sleep_until(Clock::now() + std::chrono::milliseconds(*tarpit_ms_))) {
      return false;
    }
    const std::uint64_t length = next_write_size(offset);
    buffer_.resize(length);
    if (!file_->read_at(buffer_.data(), length, range_.offset + offset)) return false;
    if (!sink.write(buffer_.data(), length)) return false;
    stats_.body_bytes += length;
    return true;
  }

 private:
  std::uint64_t next_write_size(std::uint64_t offset) const {
    std::uint64_t length = std::min(kChunkSize, range_.length - offset);
    if (reset_after_) length = std::min(length, *reset_after_ - offset);
    if (tarpit_ms_) length = 1;
    if (drip_rate_) {
      length = std::min(
          length, std::clamp(*drip_rate_ / kDripWritesPerSecond, std::uint64_t{1}, kChunkSize));
    }
    return length;
  }

  // Paces against the start time rather than sleeping per chunk, so the
  // average rate stays right however long each write takes.
  Clock::time_point drip_deadline(std::uint64_t offset) {
    if (!started_) started_ = Clock::now();
    const std::uint64_t due_us = offset * 1'000'000 / *drip_rate_;
    return *started_ + std::chrono::microseconds(static_cast<std::int64_t>(due_us));
  }

  std::shared_ptr<const OpenFile> file_;
  ByteRange range_;
  std::optional<std::uint64_t> drip_rate_;
  std::optional<std::uint64_t> reset_after_;
  std::optional<std::uint64_t> tarpit_ms_;
  StopSignal& stop_;
  Stats& stats_;
  std::optional<Clock::time_point> started_;
  std::vector<char> buffer_;
};

// Blocks SIGINT/SIGTERM in the calling thread and every thread it starts
// afterwards, so they can be collected synchronously with sigtimedwait().
class SignalBlocker {
 public:
  SignalBlocker() {
    ::sigemptyset(&set_);
    ::sigaddset(&set_, SIGINT);
    ::sigaddset(&set_, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &set_, &previous_);
  }
  ~SignalBlocker() {
    // A second Ctrl-C still pending would kill the process once unblocked.
    const timespec no_wait{};
    while (::sigtimedwait(&set_, nullptr, &no_wait) > 0) {
    }
    ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SignalBlocker(const SignalBlocker&) = delete;
  SignalBlocker& operator=(const SignalBlocker&) = delete;

  // True once a signal arrived; false if `finished` was set first.
  bool wait(const std::atomic<bool>& finished) const {
    // Polling lets the watcher notice that the server ended on its own.
    const timespec poll_interval{0, 100'000'000};
    while (!finished) {
      if (::sigtimedwait(&set_, nullptr, &poll_interval) > 0) return true;
    }
    return false;
  }

 private:
  sigset_t set_{};
  sigset_t previous_{};
};

std::optional<std::string> write_port_file(const fs::path& path, int port) {
  fs::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    out.close();
    if (!out) {
      return "cannot write port file '" + temporary.string() + "': " + std::strerror(errno);
    }
  }
  // rename() makes the port appear all at once to whoever polls for the file.
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) return "cannot rename '" + temporary.string() + "': " + error.message();
  return std::nullopt;
}

}  // namespace

struct Server::Impl {
 public:
  explicit Impl(Config config) : config_(std::move(config)) {}

  std::optional<std::string> bind();
  int port() const { return port_; }
  bool serve();
  void stop();

 private:
  void configure_http();
  void install_handlers();
  void handle_get(const httplib::Request& request, httplib::Response& response);
  bool answer_special(const httplib::Request& request, httplib::Response& response, Plan& plan);
  void serve_endless(httplib::Response& response);
  void serve_file(const httplib::Request& request, httplib::Response& response, const Plan& plan);
  void set_body(httplib::Response& response, const Plan& plan, std::shared_ptr<const OpenFile> file,
                ByteRange range, const std::string& type);
  void log_request(const httplib::Request& request, const httplib::Response& response) const;

  Config config_;
  fs::path root_;  // canonical, so resolved files can be compared against it
  int port_ = -1;
  StopSignal stop_signal_;  // declared before http_: streamers refer to it
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> serving_{false};
  std::atomic<bool> http_stopped_{false};
  Stats stats_;
  std::mutex fail_mutex_;
  std::map<std::string, std::uint64_t> fail_counts_;  // per request target, for /_fail
  std::map<std::string, std::uint64_t> nth_counts_;   // per request target, for /_slownth
  httplib::Server http_;
};

std::optional<std::string> Server::Impl::bind() {
  std::error_code error;
  if (!fs::is_directory(config_.root, error)) {
    const bool exists = fs::exists(config_.root, error);
    return "root '" + config_.root.string() + "' " +
           (exists ? "is not a directory" : "does not exist");
  }
  root_ = fs::canonical(config_.root, error);
  if (error) return "cannot resolve root '" + config_.root.string() + "': " + error.message();
  configure_http();
  errno = 0;
  if (config_.port == 0) {
    port_ = http_.bind_to_any_port(config_.host);
  } else {
    port_ = http_.bind_to_port(config_.host, config_.port) ? config_.port : -1;
  }
  if (port_ > 0) return std::nullopt;
  const int cause = errno;
  return "cannot listen on " + config_.host + ":" + std::to_string(config_.port) + ": " +
         (cause != 0 ? std::strerror(cause) : "unknown host or unusable address");
}

void Server::Impl::configure_http() {
  http_.new_task_queue = [threads = config_.threads] { return new httplib::ThreadPool(threads); };
  // httplib's default adds SO_REUSEPORT, which would let a second server bind
  // a busy port silently; SO_REUSEADDR alone only skips TIME_WAIT.
  http_.set_socket_options([](socket_t socket) {
    const int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Small drip/reset writes must reach the client now, not when Nagle decides.
  http_.set_tcp_nodelay(true);
  // An idle keep-alive connection holds its worker until this timeout, and
  // shutdown waits for the workers; 2 s instead of httplib's 5 keeps stops quick.
  http_.set_keep_alive_timeout(2);
  // The time a request arrived rides on its response (X-Testserver-Arrived) to the log line.
  http_.set_pre_routing_handler([](const httplib::Request&, httplib::Response& response) {
    const auto now =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch());
    char at[32];
    std::snprintf(at, sizeof at, "%.6f", now.count());
    response.set_header("X-Testserver-Arrived", at);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http_.set_logger([this](const httplib::Request& request, const httplib::Response& response) {
    if (!config_.quiet) log_request(request, response);
  });
  install_handlers();
}

void Server::Impl::install_handlers() {
  http_.Get(kAnyPath, [this](const httplib::Request& request, httplib::Response& response) {
    handle_get(request, response);
  });
  const httplib::Server::Handler not_allowed = [](const httplib::Request&,
                                                  httplib::Response& response) {
    response.status = 405;
    response.set_header("Allow", "GET, HEAD");
  };
  http_.Post(kAnyPath, not_allowed).Put(kAnyPath, not_allowed).Patch(kAnyPath, not_allowed);
  http_.Delete(kAnyPath, not_allowed).Options(kAnyPath, not_allowed);
  // httplib answers a Range header it cannot parse (e.g. "bytes=5-2") with a
  // bare 416 before routing; RFC 9110 says to ignore such a header, so answer
  // the request normally instead (our own parser ignores it).
  const httplib::Server::HandlerWithResponse reanswer_bad_range =
      [this](const httplib::Request& request, httplib::Response& response) {
        const bool read = request.method == "GET" || request.method == "HEAD";
        if (!read || response.status != 416 || response.has_header("Content-Range")) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        response = httplib::Response{};
        handle_get(request, response);
        return httplib::Server::HandlerResponse::Handled;
      };
  http_.set_error_handler(reanswer_bad_range);
}

// serving_ and stop_requested_ are each written before the other is read
// (here and in stop()), so a stop() racing with startup is never lost.
bool Server::Impl::serve() {
  serving_ = true;
  const bool ok = stop_requested_ || http_.listen_after_bind();
  serving_ = false;
  return ok;
}

void Server::Impl::stop() {
  stop_requested_ = true;
  stop_signal_.raise();
  // httplib ignores stop() until its accept loop runs, so wait for that.
  while (serving_) {
    if (http_.is_running()) {
      if (!http_stopped_.exchange(true)) http_.stop();
      return;
    }
    std::this_thread::sleep_for(5ms);
  }
}

void Server::Impl::handle_get(const httplib::Request& request, httplib::Response& response) {
  // httplib 0.11 applies the parsed Range itself after the handler, on any
  // status and without clamping, which would corrupt our 206/416 answers and
  // defeat /_norange. The Request is a non-const object inside httplib, so
  // clearing it here is well-defined.
  const_cast<httplib::Request&>(request).ranges.clear();
  std::optional<Plan> plan = parse_plan(request.path);
  if (!plan) {
    response.status = 400;
    return;
  }
  if (answer_special(request, response, *plan)) return;
  if (plan->delay > 0ms && !stop_signal_.sleep_until(Clock::now() + plan->delay)) {
    response.status = 503;
    return;
  }
  if (plan->status) {
    response.status = *plan->status;
    const auto retry_after = parse_uint(request.get_param_value("retry_after"));
    if (retry_after) response.set_header("Retry-After", std::to_string(*retry_after));
  } else if (plan->redirect_loop) {
    response.set_redirect("/_redirect_loop");
  } else if (plan->redirect_to) {
    const std::size_t query = request.target.find('?');
    response.set_redirect(percent_encode_path(*plan->redirect_to) +
                          (query == std::string::npos ? "" : request.target.substr(query)));
  } else {
    serve_file(request, response, *plan);
  }
}

// /_stats, /_endless and the first failures of /_fail; true when answered.
bool Server::Impl::answer_special(const httplib::Request& request, httplib::Response& response,
                                  Plan& plan) {
  if (request.path == "/_stats" || request.path == "/_stats/reset") {
    if (request.path == "/_stats/reset") stats_.reset();
    response.set_content(stats_.text(), "text/plain");
    return true;
  }
  ++stats_.requests;
  stats_.saw_client(request.remote_port);
  if (plan.slow_nth) {
    const std::lock_guard lock(fail_mutex_);
    if (++nth_counts_[request.target] == *plan.slow_nth) plan.drip_rate = plan.slow_rate;
  }
  if (plan.endless) {
    serve_endless(response);
    return true;
  }
  if (request.path == "/_location") {
    response.status = 302;
    response.set_header("Location", request.get_param_value("to"));
    return true;
  }
  if (!plan.fail_first) return false;
  std::uint64_t seen = 0;
  {
    const std::lock_guard lock(fail_mutex_);
    seen = ++fail_counts_[request.target];
  }
  if (seen > *plan.fail_first) return false;
  if (plan.fail_code == 0) {
    plan.reset_after = 1000;  // then served, cut short
    return false;
  }
  if (plan.fail_code == 1) {
    plan.tarpit_ms = 1000;  // then served, too slowly for any client's patience
    return false;
  }
  response.status = plan.fail_code;
  if (plan.fail_code == 429 || plan.fail_code == 503) response.set_header("Retry-After", "1");
  return true;
}

void Server::Impl::serve_endless(httplib::Response& response) {
  auto zeros = std::make_shared<std::vector<char>>(kChunkSize, '\0');
  response.set_chunked_content_provider(
      "application/octet-stream", [this, zeros](std::size_t, httplib::DataSink& sink) {
        if (stop_requested_ || !sink.write(zeros->data(), zeros->size())) return false;
        stats_.body_bytes += zeros->size();
        return true;
      });
}

void Server::Impl::serve_file(const httplib::Request& request, httplib::Response& response,
                              const Plan& plan) {
  const auto resolved = resolve_under_root(root_, plan.file);
  if (const int* status = std::get_if<int>(&resolved)) {
    response.status = *status;
    return;
  }
  const fs::path& path = std::get<fs::path>(resolved);
  std::shared_ptr<const OpenFile> file = OpenFile::open(path);
  if (!file) {
    response.status = errno == EACCES ? 403 : 404;
    return;
  }
  response.set_header("ETag", file->etag());
  response.set_header("Last-Modified", file->last_modified());
  response.set_header("Accept-Ranges", plan.ignore_range ? "none" : "bytes");
  if (plan.gzip_label) response.set_header("Content-Encoding", "gzip");
  // httplib drops a header value holding CR or LF, so those cannot be injected raw.
  if (plan.disposition) response.set_header("Content-Disposition", request.get_param_value("cd"));

  const std::uint64_t size = file->size();
  const bool ignores_range = plan.ignore_range || plan.content_range_on_200;
  const RangeRequest range = ignores_range ? RangeRequest{} : requested_range(request, *file);
  if (std::holds_alternative<Unsatisfiable>(range)) {
    response.status = 416;
    response.set_header("Content-Range", "bytes */" + std::to_string(size));
    return;
  }
  ByteRange body{0, size};
  response.status = 200;
  if (plan.content_range_on_200 && size > 0) {
    response.set_header("Content-Range",
                        "bytes 0-" + std::to_string(size - 1) + "/" + std::to_string(size));
  }
  if (const ByteRange* part = std::get_if<ByteRange>(&range)) {
    body = *part;
    const std::uint64_t early = std::min(plan.early_bytes, body.offset);
    body.offset -= early;
    body.length += early;
    if (plan.short_206) body.length = std::min(body.length, *plan.short_206);
    ++stats_.ranged;
    response.status = 206;
    response.set_header("Content-Range", "bytes " + std::to_string(body.offset) + "-" +
                                             std::to_string(body.offset + body.length - 1) + "/" +
                                             std::to_string(size));
  }
  set_body(response, plan, std::move(file), body,
           plan.html_label ? "text/html; charset=utf-8" : mime_type_for(path));
}

void Server::Impl::set_body(httplib::Response& response, const Plan& plan,
                            std::shared_ptr<const OpenFile> file, ByteRange range,
                            const std::string& type) {
  auto streamer =
      std::make_shared<BodyStreamer>(std::move(file), range, plan, stop_signal_, stats_);
  if (plan.chunked) {
    response.set_chunked_content_provider(type.c_str(),
                                          [streamer](std::size_t offset, httplib::DataSink& sink) {
                                            return streamer->send(offset, sink);
                                          });
  } else if (range.length == 0) {
    // httplib treats a zero-length provider as "length unknown"; an empty
    // body gets the honest Content-Length: 0 instead.
    response.set_content("", type.c_str());
  } else {
    response.set_content_provider(
        range.length, type.c_str(),
        [streamer](std::size_t offset, std::size_t, httplib::DataSink& sink) {
          return streamer->send(offset, sink);
        });
  }
}

void Server::Impl::log_request(const httplib::Request& request,
                               const httplib::Response& response) const {
  // The announced length; a /_reset response really sends fewer bytes.
  const std::string length = response.has_header("Content-Length")
                                 ? response.get_header_value("Content-Length")
                                 : std::string{"-"};
  // When the request arrived, in seconds of CLOCK_MONOTONIC: a test on this machine compares it
  // with its own clock (a line reaches a reader later, by as much as the machine is busy, and the
  // answer comes later by as long as it took).
  log_line(request.method + " " + request.target + " " + std::to_string(response.status) + " " +
           length + " at=" + response.get_header_value("X-Testserver-Arrived"));
}

Server::Server(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;
std::optional<std::string> Server::bind() { return impl_->bind(); }
int Server::port() const { return impl_->port(); }
bool Server::serve() { return impl_->serve(); }
void Server::stop() { impl_->stop(); }

int run(const Config& config) {
  // Must precede every thread the server starts, so they inherit the mask.
  const SignalBlocker signals;
  Server server(config);
  if (auto error = server.bind()) {
    log_line(*error);
    return kExitError;
  }
  if (!config.port_file.empty()) {
    if (auto error = write_port_file(config.port_file, server.port())) {
      log_line(*error);
      return kExitError;
    }
  }
  if (!config.quiet) {
    log_line("serving " + config.root.string() + " on http://" + config.host + ":" +
             std::to_string(server.port()) + "/");
  }
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    if (signals.wait(finished)) server.stop();
  });
  const bool ok = server.serve();
  finished = true;
  watcher.join();
  if (!ok) {
    log_line("accept loop failed");
    return kExitError;
  }
  if (!config.quiet) log_line("stopped");
  return kExitOk;
}

std::string_view usage_notes() { return kUsageNotes; }

}  // namespace dupipe::testserver
