// fetcher: downloads the URLs of U records into a files directory and emits P records.
#include <filesystem>

#include "common/cli.hpp"
#include "common/instrumented_endpoint.hpp"
#include "common/sys.hpp"
#include "fetcher/fetcher.hpp"

int main(int argc, char** argv) {
  dupipe::fetcher::Config config;
  auto& d = config.download;
  bool verbose = false;
  CLI::App app{
      "fetcher: downloads each URL record with libcurl into --files-dir and emits the\n"
      "file's path and size (P record), or the failure's cause (F record)."};
  dupipe::cli::add_common_options(app, verbose);
  app.add_option("-i,--in", config.in, "Input endpoint")->capture_default_str();
  app.add_option("-o,--out", config.out, "Output endpoint")->capture_default_str();
  app.add_option("--files-dir", d.files_dir, "Where downloaded files go")->capture_default_str();
  app.add_option("--max-filesize", d.max_filesize_bytes, "Largest body accepted in bytes (0: none)")
      ->capture_default_str();
  app.add_option("--connect-timeout", d.connect_timeout_s, "Seconds")->capture_default_str();
  app.add_option("--timeout", d.timeout_s, "Seconds per transfer (0: none)")->capture_default_str();
  app.add_option("--low-speed-limit", d.low_speed_limit_bps, "Bytes/s considered stalled")
      ->capture_default_str();
  app.add_option("--low-speed-time", d.low_speed_time_s,
                 "Seconds below --low-speed-limit before aborting")
      ->capture_default_str();
  app.add_option("--max-redirs", d.max_redirects, "Redirects followed (http/https only)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10));
  app.add_flag("--allow-file", d.allow_file, "Accept file:// URLs");
  app.add_flag("--insecure", d.insecure, "Do not verify TLS certificates (warns)");
  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;

  return dupipe::cli::run_stage("fetcher", verbose, [&](const dupipe::Logger& logger) {
    if (auto ok = dupipe::sys::make_directories(d.files_dir); !ok) {
      throw dupipe::FatalError(ok.error().message);
    }
    d.files_dir = std::filesystem::absolute(d.files_dir).lexically_normal().string();
    if (d.insecure) logger.warning("--insecure: TLS certificates are NOT verified");
    const dupipe::UrlPolicy policy{d.allow_file};
    dupipe::fetcher::CurlUrlFetcher fetcher(d);
    const auto stats = dupipe::cli::stage_stats("fetcher", logger);
    const auto input = dupipe::instrument(dupipe::open_reader(config.in), stats.get());
    const auto output = dupipe::instrument(dupipe::open_writer(config.out), stats.get());
    const auto counts = dupipe::fetcher::run(*input, *output, fetcher, policy, logger);
    logger.info(std::to_string(counts.fetched) + " fetched, " + std::to_string(counts.failed) +
                " failed");
  });
}
