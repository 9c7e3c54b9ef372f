// fetcher: downloads the URLs of U records into a files directory and emits P records.
#include <filesystem>

#include "common/base/cli.hpp"
#include "common/os/sys.hpp"
#include "common/protocol/record_journal.hpp"
#include "common/transport/instrumented_endpoint.hpp"
#include "fetcher/connection_caps.hpp"
#include "fetcher/engine.hpp"
#include "fetcher/fetcher.hpp"

namespace {

void add_download_options(CLI::App& app, dupipe::fetcher::DownloadOptions& d) {
  app.add_option("--files-dir", d.files_dir, "Where downloaded files go")->capture_default_str();
  app.add_option("--transfers", d.transfers, "Concurrent transfers in this process")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--per-host", d.per_host, "Concurrent transfers to one host")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--segments", d.segments, "Ranges of one large file fetched in parallel")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--segment-threshold", d.segment_threshold_bytes,
                 "Smallest file split into ranges (bytes)")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, UINT64_MAX));
  app.add_option("--min-steal", d.min_steal_bytes,
                 "Smallest range an idle transfer takes over (bytes)")
      ->capture_default_str();
  app.add_flag("--resume", d.resume,
               "Continue partial downloads left in --files-dir (control files)");
  app.add_option("--save-interval-ms", d.save_interval_ms, "How often control files are saved")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{10}, std::uint64_t{600000}));
  app.add_option("--retries", d.retry.retries, "Retries of a transient failure")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app.add_option("--retry-wait-ms", d.retry.base_delay_ms, "First back-off; doubles, +0-50% jitter")
      ->capture_default_str();
  app.add_option("--retry-max-wait-ms", d.retry.max_delay_ms,
                 "Longest back-off, also for Retry-After")
      ->capture_default_str();
  app.add_option("--max-filesize", d.max_filesize_bytes,
                 "Largest body in bytes, counted while streaming and after decoding (0: none)")
      ->capture_default_str();
  app.add_option("--connect-timeout", d.connect_timeout_s, "Seconds")->capture_default_str();
  app.add_option("--timeout", d.timeout_s, "Seconds per transfer (0: none)")->capture_default_str();
  app.add_option("--min-speed,--low-speed-limit", d.low_speed_limit_bps,
                 "Bytes/s considered stalled")
      ->capture_default_str();
  app.add_option("--min-speed-time,--low-speed-time", d.low_speed_time_s,
                 "Seconds below --min-speed before aborting")
      ->capture_default_str();
  app.add_option("--max-redirs", d.max_redirects, "Redirects followed (http/https only)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10));
  app.add_flag("--compressed", d.compressed,
               "Ask for compressed transfer (decoded bytes are stored)");
  app.add_flag("--allow-file", d.allow_file, "Accept file:// URLs");
  app.add_flag("--insecure", d.insecure, "Do not verify TLS certificates (warns)");
}

}  // namespace

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
  add_download_options(app, d);
  std::string journal;
  app.add_option("--journal", journal,
                 "Append every finished download's P record to FILE (a supervised run's resume)");
  std::string links_out;
  app.add_option("--links-out", links_out,
                 "Crawl mode: each page's links (if text/html) and its D record to ENDPOINT");
  std::string links_journal;
  app.add_option("--links-journal", links_journal,
                 "Crawl mode: append each A and D record to FILE before sending it (the "
                 "frontier's recovery after it was killed)")
      ->type_name("FILE");
  dupipe::crawl::LinkOptions link_options;
  app.add_flag("--respect-nofollow", link_options.respect_nofollow,
               "Crawl mode: skip links marked rel=nofollow");
  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;
  const auto cap_notes =
      dupipe::fetcher::reconcile_caps(d, {.segments = app.count("--segments") > 0,
                                          .per_host = app.count("--per-host") > 0,
                                          .transfers = app.count("--transfers") > 0});

  return dupipe::cli::run_stage("fetcher", verbose, [&](const dupipe::Logger& logger) {
    for (const auto& note : cap_notes) {
      if (note.is_warning) {
        logger.warning(note.text);
      } else {
        logger.info(note.text);
      }
    }
    dupipe::value_or_fatal(dupipe::sys::make_directories(d.files_dir));
    d.files_dir = std::filesystem::absolute(d.files_dir).lexically_normal().string();
    if (d.insecure) logger.warning("--insecure: TLS certificates are NOT verified");
    const dupipe::UrlPolicy policy{d.allow_file};
    dupipe::fetcher::Engine engine(d, logger);
    const auto stats = dupipe::cli::stage_stats("fetcher", logger);
    // Many records in flight: a record's trace span ends when its P or F record is written.
    const auto input = dupipe::instrument(dupipe::open_reader(config.in), stats.get(),
                                          dupipe::RecordSpanEnd::kMatchingOutput);
    auto output = dupipe::instrument(dupipe::open_writer(config.out), stats.get());
    if (!journal.empty()) {
      output = std::make_unique<dupipe::JournalingWriter>(
          std::move(output), dupipe::RecordJournal::open(journal), "P\t");
    }
    std::unique_ptr<dupipe::RecordWriter> links;
    std::optional<dupipe::fetcher::LinkFeedback> feedback;
    if (!links_out.empty()) {
      links = dupipe::open_writer(links_out);
      if (!links_journal.empty()) {
        // Every line, before it is sent: what the producer may have read is on disk.
        links = std::make_unique<dupipe::JournalingWriter>(
            std::move(links), dupipe::RecordJournal::open(links_journal), "");
      }
      feedback.emplace(*links, link_options, logger);
    }
    const auto counts = dupipe::fetcher::run(*input, *output, engine, policy, logger,
                                             feedback ? &*feedback : nullptr);
    logger.info(std::to_string(counts.fetched) + " fetched, " + std::to_string(counts.failed) +
                " failed");
  });
}
