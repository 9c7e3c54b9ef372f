// producer: reads a URL list and writes one record per accepted URL (docs/PROTOCOL.md).
#include <csignal>
#include <iostream>
#include <optional>

#include "common/base/cli.hpp"
#include "common/transport/instrumented_endpoint.hpp"
#include "producer/crawl_run.hpp"
#include "producer/producer.hpp"
#include "producer/recovery_ledger.hpp"
#include "producer/url_list_reader.hpp"

int main(int argc, char** argv) {
  dupipe::producer::Config config;
  bool verbose = false;
  CLI::App app{
      "producer: reads URLs (one per line; blank lines and # comments skipped), validates them,\n"
      "drops exact repeats and writes U records with stable ids; rejected lines become F records."};
  dupipe::cli::add_common_options(app, verbose);
  app.add_option("input", config.input, "URL list file, or - for stdin")->capture_default_str();
  app.add_option("-o,--out", config.out, "Output endpoint")->capture_default_str();
  app.add_flag("--allow-file", config.policy.allow_file, "Accept file:// URLs");
  // At most 4000: a U record (tag, id, URL) must fit in one 4096-byte protocol line.
  app.add_option("--max-url-length", config.policy.max_url_bytes, "Longest URL accepted, in bytes")
      ->check(CLI::Range(std::size_t{8}, std::size_t{4000}))
      ->capture_default_str();
  dupipe::producer::LedgerFiles ledger;
  app.add_option("--skip-done", ledger.done,
                 "Journal of records already accounted (the aggregator's): not sent again");
  app.add_option("--manifest", ledger.manifest,
                 "Append every record sent to FILE; records already in it are not sent again");
  app.add_option("--fetched", ledger.fetched,
                 "Journal of finished downloads: send their P record instead of the URL");
  std::string links_in;
  dupipe::producer::CrawlOptions crawl;
  auto* crawl_group = app.add_option_group(
      "Crawl", "With --links-in the input is a list of seeds and the producer is the frontier");
  crawl_group
      ->add_option("--links-in", links_in,
                   "Crawl: endpoint of the fetchers' feedback (A and D records)")
      ->type_name("ENDPOINT");
  crawl_group->add_option("--depth", crawl.limits.max_depth, "Crawl: links followed from a seed")
      ->capture_default_str();
  crawl_group
      ->add_option("--max-pages", crawl.limits.max_pages,
                   "Crawl: pages fetched in all (0: no limit)")
      ->capture_default_str();
  crawl_group
      ->add_option("--per-host", crawl.limits.per_host,
                   "Crawl: requests to one host at once, across all fetchers")
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  std::uint64_t delay_ms = 0;
  crawl_group
      ->add_option("--delay", delay_ms, "Crawl: least milliseconds between two starts on one host")
      ->capture_default_str();
  crawl_group
      ->add_option("--trap-limit", crawl.trap_limit,
                   "Crawl: after N pages in a row under one path prefix whose content was already "
                   "seen, do not follow such pages' links (0: follow them; the prefix is reported)")
      ->capture_default_str();
  crawl_group->add_option("--allow-host", crawl.scope.allow_hosts,
                          "Crawl: a host to follow links to beyond the seeds' (repeatable)");
  std::string state_file;
  crawl_group
      ->add_option("--crawl-state", state_file,
                   "Crawl: write each page's depth and origin and the not-fetched counts to FILE "
                   "(JSON) at the end, for the aggregator's report")
      ->type_name("FILE");
  dupipe::producer::JournalFiles journal;
  crawl_group
      ->add_option("--crawl-journal", journal.journal,
                   "Crawl: the frontier's journal: replayed at the start, so a restarted crawl "
                   "fetches no settled page again; appended to as the crawl goes")
      ->type_name("FILE");
  crawl_group
      ->add_option("--feedback-journal", journal.feedback,
                   "Crawl: the fetchers' journal of what they sent back (their --links-journal), "
                   "for the reports a killed producer had read and not journalled")
      ->type_name("FILE");
  crawl_group
      ->add_option("--launch-id", journal.launch_id,
                   "Crawl: an id of this launch of the run (the supervisor's); pages in flight in "
                   "a journal of another launch are fetched again, those of this one awaited")
      ->type_name("ID");
  bool ignore_robots = false;
  crawl_group->add_flag("--ignore-robots", ignore_robots,
                        "Crawl: do not fetch or obey the hosts' robots.txt");
  bool insecure = false;
  crawl_group->add_flag("--insecure", insecure,
                        "Crawl: do not verify TLS certificates of robots.txt and sitemap fetches");
  bool sitemaps = false;
  crawl_group->add_flag("--sitemaps", sitemaps,
                        "Crawl: seed from each host's sitemaps (robots.txt Sitemap: lines and "
                        "/sitemap.xml)");
  crawl_group->add_flag("--no-parent", crawl.scope.no_parent,
                        "Crawl: stay under each seed's directory");
  crawl_group->add_option("--accept", crawl.scope.accept,
                          "Crawl: fetch only found URLs this regular expression matches");
  crawl_group->add_option("--reject", crawl.scope.reject,
                          "Crawl: do not fetch found URLs this regular expression matches");
  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;
  crawl.limits.delay = std::chrono::milliseconds(delay_ms);
  crawl.limits.hosts_start_closed = !ignore_robots;
  if (!links_in.empty() && (!ledger.done.empty() || !ledger.fetched.empty())) {
    std::cerr << "producer: --links-in (a crawl) takes no --skip-done or --fetched\n";
    return 2;
  }

  // Crawl mode: SIGUSR1 says a fetcher died (the supervisor sends it). Blocked here, before any
  // thread starts, so that no thread takes it with the default action (which kills).
  std::optional<dupipe::NoticeSignal> loss;
  if (!links_in.empty()) loss.emplace(SIGUSR1);

  return dupipe::cli::run_stage("producer", verbose, [&](const dupipe::Logger& logger) {
    const auto stats = dupipe::cli::stage_stats("producer", logger);
    const auto input =
        dupipe::instrument(dupipe::producer::open_url_list(config.input), stats.get());
    auto output = dupipe::instrument(dupipe::open_writer(config.out), stats.get());
    if (!links_in.empty()) {
      const auto feedback = dupipe::instrument(dupipe::open_reader(links_in), stats.get());
      std::optional<dupipe::RecordJournal> manifest;
      if (!ledger.manifest.empty()) manifest = dupipe::RecordJournal::open(ledger.manifest);
      std::optional<dupipe::producer::RobotsFetcher> robots;
      if (!ignore_robots || sitemaps) robots.emplace(insecure);
      if (insecure) logger.warning("--insecure: TLS certificates are NOT verified");
      const auto counts = dupipe::producer::run_crawl(
          *input, *output, *feedback, crawl, logger,
          {&*loss, manifest ? &*manifest : nullptr, robots ? &*robots : nullptr, state_file,
           journal, !ignore_robots, sitemaps});
      logger.info(dupipe::producer::describe(counts));
      return;
    }
    if (!ledger.any()) {
      const auto counts = dupipe::producer::run(*input, *output, config.policy, logger);
      logger.info(std::to_string(counts.accepted) + " URLs accepted, " +
                  std::to_string(counts.rejected) + " rejected");
      return;
    }
    dupipe::producer::LedgerWriter ledger_output(std::move(output), ledger);
    const auto counts = dupipe::producer::run(*input, ledger_output, config.policy, logger);
    const auto& skipped = ledger_output.counts();
    logger.info(
        std::to_string(counts.accepted) + " URLs accepted, " + std::to_string(counts.rejected) +
        " rejected; not sent again: " + std::to_string(skipped.already_done) +
        " already accounted, " + std::to_string(skipped.already_sent) + " sent before a restart; " +
        std::to_string(skipped.downloads_reused) + " finished downloads passed on");
  });
}
