// Loopback HTTP server for dupipe's integration tests: serves a directory over
// GET/HEAD with byte ranges, ETag and Last-Modified, and injects the failures a
// downloader must survive (error statuses, stalls, trickling and truncated
// bodies, redirect chains and loops, missing range or length support) so tests
// can provoke them deterministically without touching the network.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dupipe::testserver {

// Error injection is selected by path prefixes; they may be stacked, e.g.
// /_slow/200/_reset/1000/big.bin. <file path> is relative to the root.
//   /_status/<code>[?retry_after=N]  empty body with that status (200-599),
//                                    optional Retry-After: N
//   /_slow/<ms>/<file path>          wait <ms> milliseconds, then answer
//   /_drip/<bytes_per_sec>/<file>    send the body at about that rate
//   /_reset/<bytes>/<file path>      announce the full length, send only
//                                    <bytes> body bytes, then drop the
//                                    connection
//   /_redirect/<n>/<file path>       302 chain of n hops ending at the file
//   /_redirect_loop                  302 to itself forever
//   /_norange/<file path>            ignore Range, always 200 + full body
//   /_nolength/<file path>           chunked body without Content-Length
//   /_cr200, /_early/<n>, /_short206/<n>, /_tarpit/<ms>, /_endless, /_gzip, /_html,
//   /_disposition (?cd=VALUE), /_fail/<n>/<code>, /_slownth/<k>/<rate>: lying, hostile and slow
//   servers for the fetcher's tests; /_stats and /_stats/reset: server-side counters. usage_notes()
//   describes each.
// Paths containing ".." or resolving (via symlinks) outside the root get 403.

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // runtime failure: bad root, port busy
inline constexpr int kExitUsage = 2;  // command-line error

struct Config {
  std::filesystem::path root;
  std::string host = "127.0.0.1";
  int port = 0;                     // 0 lets the kernel pick a free port
  std::filesystem::path port_file;  // empty: don't write one
  std::size_t threads = 16;
  bool quiet = false;  // suppress the per-request log
};

// Usable in-process (bind, serve on one thread, stop from another) or through
// run() below, which adds signal handling for the standalone executable.
class Server {
 public:
  explicit Server(Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Checks the root and binds the listening socket. Returns a message naming
  // the cause on failure.
  std::optional<std::string> bind();
  // The bound port; valid after a successful bind().
  int port() const;
  // Serves until stop(); false if the accept loop failed.
  bool serve();
  // Thread-safe and idempotent; also valid before serve() has started.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Binds, writes the port file, serves until SIGINT or SIGTERM. Returns
// kExitOk after a clean stop, kExitError (message on stderr) otherwise.
int run(const Config& config);

// The injection-path and exit-code summary shown by --help.
std::string_view usage_notes();

}  // namespace dupipe::testserver
