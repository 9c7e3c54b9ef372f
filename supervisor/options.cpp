#include "supervisor/options.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <random>
#include <regex>

#include "common/base/version.hpp"

namespace dupipe::supervisor {
namespace {

// `dupipe` is the installed launcher; scripts/run_pipeline.sh is the same script in a checkout.
constexpr const char* kUsage = R"(Usage: dupipe [options] URLS_FILE
       dupipe [options] --resume --out OUT [URLS_FILE]
       dupipe [options] --dir DIR [--dir DIR2 ...]
       dupipe [options] --crawl [crawl options] SEEDS_FILE
       dupipe [options] --crawl [crawl options] --resume --out OUT [SEEDS_FILE]
(From a checkout: scripts/run_pipeline.sh, the same launcher.)
Downloads every URL of URLS_FILE ('-' for stdin) with parallel fetchers, hashes the files with
parallel hashers and writes the duplicate report to OUT/report.json and OUT/report.txt.
With --dir (directory mode) the files under DIR are searched instead, no fetcher runs.
With --crawl the URLs of SEEDS_FILE are fetched, then the links of every HTML page, within limits.

Options:
  --fetchers N          fetcher processes (default 4)
  --hashers M           hasher processes (default: number of cores, @CORES@)
  --algo A              sha256 (default), sha1, md5, blake2b or xxh128
  --out DIR             output directory (default ./dupipe-out); files go to DIR/files
  --transport T         fifo (default) or shm: the transport of every link
  --link LINK=T         override one link (URL mode: urls, paths, digests; crawl mode also
                        found; directory mode: walked, sized, digests), e.g. --link paths=shm
  --shm-capacity BYTES  ring size of each shm link (default 1048576)
  --run-id ID           names the run's shm segments dupipe-ID-LINK (default PID-RANDOM);
                        letters, digits, '_' and '-' only
  --cleanup             list dupipe's shared-memory segments, remove those whose run is dead,
                        and exit
  --dry-run             print the topology (every process with its command line, every link
                        with its transport, readers and writers) and exit; nothing is created
  --keep-run-dir        keep the run directory (FIFOs, pids, links) for inspection
  --run-dir-file FILE   write the run directory's path (one line) to FILE once the stages
                        run, so another terminal finds this run and no other; FILE stays
  --allow-file          accept file:// URLs
  --max-filesize BYTES  largest download accepted (default 1 GiB)
  --timeout S           seconds per transfer (default 600)
  --connect-timeout S   seconds to connect (default 10)
  --insecure            do not verify TLS certificates
  --transfers K         concurrent transfers per fetcher (default 8); total = N x K
  --per-host P          concurrent transfers per fetcher to one host (default 6); with --crawl
                        to one host across all fetchers (default 4)
  --segments S          ranges of one large file fetched in parallel (default 8)
  --segment-threshold B smallest file split into ranges (default 8 MiB)
  --retries R           retries of a transient failure (default 3)
  --min-speed B, --min-speed-time S  abort a transfer below B bytes/s for S seconds (1, 30)
  --compressed          ask for compressed transfers (limits apply to the decoded bytes)
  --resume              continue a stopped or crashed run in OUT: what its report accounts is
                        not done again, finished downloads are not fetched again, partial ones
                        continue (the URL list is kept in OUT/.dupipe; giving it again is optional);
                        with --crawl the frontier goes on from its journal, so no page settled
                        before is fetched again (give the crawl's options again)
  --max-restarts N      restarts of dead stage processes of one role allowed within
                        --restart-period (default 5); one more death stops the run with a
                        partial report
  --restart-period S    the window of --max-restarts, in seconds (default 10)
  --refeeds N           extra passes that re-feed records lost with a dead stage (default 3);
                        what the last pass still misses is reported as a failure
  --save-interval-ms MS how often resume control files are saved (default 5000)
  --producer-cmd CMD    run CMD (via bash -c) instead of the producer: URL list on its stdin,
                        records or bare URL lines on its stdout (e.g. 'cat')
  --hasher-cmd CMD      run CMD instead of each hasher: P records on stdin, H records on stdout;
                        copies sharing the FIFO must read one line at a time under 'flock 0'
                        (see scripts/examples/sha256_hasher.sh)
  --bin-dir DIR         where the stage executables are (default: ../libexec/dupipe beside an
                        installed dupipe, build/bin of a checkout)
Watching a run (URL mode; docs/LAB.md):
  --monitor             show dupipe-top in this terminal until the run ends; the stages'
                        messages go to OUT/run.log meanwhile
  --progress, --no-progress  the one-line progress bar (URLs done/total, bytes, rates, ETA) on
                        stdout, by default shown only when stdout is a terminal
  --trace FILE          write a Chrome trace-event JSON of the run to FILE (Perfetto,
                        chrome://tracing): a track per process, a span per record per stage,
                        blocked-on-read/write spans
  Every URL-mode run also writes OUT/timeline.jsonl (the counters every 100 ms) and
  OUT/report.html (summary, duplicate groups, failures, a timeline of each process).
  -v, --verbose         stages log every record
Crawl mode (docs/CRAWL.md):
  --crawl               SEEDS_FILE lists seeds (one URL a line); the fetchers send the links of
                        every text/html page back to the producer, which fetches each URL once
  --depth D             links followed from a seed (default 5; a seed is depth 0)
  --max-pages N         pages fetched in all (default: no limit)
  --delay MS            least milliseconds between two starts on one host (default 0)
  --allow-host H        follow links to host H too (repeatable; default: only the seeds' hosts)
  --no-parent           stay under each seed's directory
  --ignore-robots       do not fetch or obey robots.txt (by default each host's robots.txt is
                        fetched first and obeyed, RFC 9309, with its Crawl-delay up to 30 s)
  --sitemaps            seed from each host's sitemaps too: the Sitemap: lines of its robots.txt
                        and /sitemap.xml (index files followed, at most 20 per host; not counted
                        by --max-pages)
  --trap-limit N        after N pages in a row under one path prefix whose content was already
                        seen (a likely trap, reported), do not follow such pages' links
                        (default 0: follow them)
  --accept REGEX, --reject REGEX  fetch only found URLs that match / do not match
  --respect-nofollow    skip links marked rel=nofollow
Directory mode:
  --dir DIR             walk DIR (repeatable); report paths, hard links and OUT/actions.sh
  --follow-links        follow symbolic links (default: skipped)
  --include-empty       group zero-length files too
  --verify              compare each group byte by byte before reporting it
  --format F[,F]        extra OUT/report.F files: nul, fdupes, csv (json and text always)
  --action A            what OUT/actions.sh would do: link (default) or delete; never run by dupipe
  The live counters of a directory-mode run are shown by dupipe-top RUN_DIR in another terminal.
  -h, --help            this help
  --version             print the version and exit

Exit status: 0 done (per-URL failures are in the report), 1 a stage failed beyond its restart
budget or could not be restarted (named on stderr; partial report written), 2 bad usage or
missing build, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP (partial report written).
)";

// A usage error: reported like the launcher always has, exit 2.
struct UsageError {
  std::string message;
};

[[noreturn]] void refuse(std::string message) { throw UsageError{std::move(message)}; }

Transport parse_transport(const std::string& what, const std::string& value) {
  if (value == "fifo") return Transport::kFifo;
  if (value == "shm") return Transport::kShm;
  refuse(what + ": unknown transport '" + value + "' (fifo or shm)");
}

std::uint32_t parse_count(const std::string& option, const std::string& value, bool may_be_zero) {
  static const std::regex positive("[1-9][0-9]{0,8}");
  static const std::regex count("[0-9]{1,9}");
  if (!std::regex_match(value, may_be_zero ? count : positive)) {
    refuse(option + (may_be_zero ? " needs a count" : " needs a positive integer") + ", got '" +
           value + "'");
  }
  return static_cast<std::uint32_t>(std::stoul(value));
}

std::string default_run_id() {
  std::random_device random;  // getrandom(2)
  char text[32];
  std::snprintf(text, sizeof text, "%d-%08x", static_cast<int>(::getpid()), random());
  return text;
}

// The options whose values go to every fetcher unchanged (the fetcher checks them).
constexpr const char* kFetcherValueOptions[] = {
    "--max-filesize",   "--timeout",           "--connect-timeout", "--per-host",
    "--segments",       "--segment-threshold", "--retries",         "--min-speed",
    "--min-speed-time", "--save-interval-ms"};

void add_options(CLI::App& app, LaunchOptions& o, std::map<std::string, std::string>& raw,
                 bool& wants_help, bool& wants_version) {
  auto value = [&](const char* name) {
    app.add_option_function<std::string>(name,
                                         [&raw, name](const std::string& v) { raw[name] = v; });
  };
  for (const char* name :
       {"--fetchers", "--hashers", "--transfers", "--shm-capacity", "--transport", "--run-id",
        "--max-restarts", "--restart-period", "--refeeds"}) {
    value(name);
  }
  app.add_option("--algo", o.algo);
  app.add_option("--out", o.out);
  app.add_option_function<std::string>("--link",
                                       [&o](const std::string& v) {
                                         const auto equals = v.find('=');
                                         if (equals == std::string::npos)
                                           refuse("--link needs LINK=TRANSPORT, got '" + v + "'");
                                         const std::string link = v.substr(0, equals);
                                         o.link_overrides[link] = parse_transport(
                                             "--link " + link, v.substr(equals + 1));
                                       })
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("--cleanup", o.is_cleanup);
  app.add_flag("--dry-run", o.is_dry_run);
  app.add_flag("--keep-run-dir", o.keep_run_dir);
  app.add_option("--run-dir-file", o.run_dir_file);
  app.add_flag_callback("--allow-file", [&o] {
    o.producer_args.push_back("--allow-file");
    o.fetcher_args.push_back("--allow-file");
  });
  for (const char* name : kFetcherValueOptions) {
    app.add_option_function<std::string>(name, [&o, name](const std::string& v) {
      o.fetcher_args.insert(o.fetcher_args.end(), {name, v});
    });
  }
  for (const char* name : {"--insecure", "--compressed"}) {
    app.add_flag_callback(name, [&o, name] { o.fetcher_args.push_back(name); });
  }
  app.add_flag("--resume", o.is_resume);
  app.add_option("--producer-cmd", o.producer_cmd);
  app.add_option("--hasher-cmd", o.hasher_cmd);
  app.add_option("--bin-dir", o.bin_dir);
  app.add_flag_callback("-v,--verbose", [&o] { o.stage_args.push_back("--verbose"); });
  app.add_flag("--monitor", o.is_monitor);
  app.add_flag_callback("--progress", [&o] { o.progress = Progress::kOn; });
  app.add_flag_callback("--no-progress", [&o] { o.progress = Progress::kOff; });
  app.add_option("--trace", o.trace_file);
  app.add_option("--dir", o.dirs)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->expected(1)
      ->allow_extra_args(false);
  app.add_flag_callback("--follow-links", [&o] { o.walk_args.push_back("--follow-links"); });
  app.add_flag_callback("--include-empty", [&o] { o.group_args.push_back("--include-empty"); });
  app.add_flag_callback("--verify", [&o] { o.report_args.push_back("--verify"); });
  for (const char* name : {"--format", "--action"}) {
    app.add_option_function<std::string>(name,
                                         [&o, name](const std::string& v) {
                                           o.report_args.insert(o.report_args.end(), {name, v});
                                         })
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  app.add_flag("--crawl", o.is_crawl);
  for (const char* name : {"--depth", "--max-pages", "--delay", "--accept", "--reject"}) {
    app.add_option_function<std::string>(name, [&o, name](const std::string& v) {
      o.crawl_args.insert(o.crawl_args.end(), {name, v});
    });
  }
  app.add_option_function<std::string>(
         "--allow-host",
         [&o](const std::string& v) {
           o.crawl_args.insert(o.crawl_args.end(), {"--allow-host", v});
         })
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option_function<std::string>("--trap-limit", [&o](const std::string& v) {
    o.crawl_args.insert(o.crawl_args.end(), {"--trap-limit", v});
  });
  for (const char* name : {"--no-parent", "--ignore-robots", "--sitemaps"}) {
    app.add_flag_callback(name, [&o, name] { o.crawl_args.push_back(name); });
  }
  app.add_flag_callback("--respect-nofollow",
                        [&o] { o.fetcher_args.push_back("--respect-nofollow"); });
  app.add_flag("-h,--help", wants_help);
  app.add_flag("--version", wants_version);
  app.add_option("URLS_FILE", o.urls_file);
}

void apply_counts(LaunchOptions& o, const std::map<std::string, std::string>& raw) {
  auto count = [&](const char* name, auto& field, bool may_be_zero) {
    if (auto found = raw.find(name); found != raw.end()) {
      field = parse_count(name, found->second, may_be_zero);
    }
  };
  count("--fetchers", o.fetchers, false);
  count("--hashers", o.hashers, false);
  count("--transfers", o.transfers, false);
  if (raw.contains("--transfers"))
    o.fetcher_args.insert(o.fetcher_args.end(), {"--transfers", raw.at("--transfers")});
  std::uint32_t capacity = 0;
  count("--shm-capacity", capacity, false);
  if (capacity > 0) o.shm_capacity = capacity;
  count("--max-restarts", o.restart.max_restarts, true);
  std::uint32_t period_s = 0;
  count("--restart-period", period_s, false);
  if (period_s > 0) o.restart.period_ms = std::uint64_t{period_s} * 1000;
  count("--refeeds", o.refeeds, true);
  if (auto found = raw.find("--transport"); found != raw.end()) {
    o.transport = parse_transport("--transport", found->second);
  }
  if (auto found = raw.find("--run-id"); found != raw.end()) {
    static const std::regex id("[A-Za-z0-9_-]{1,64}");
    if (!std::regex_match(found->second, id)) refuse("bad --run-id '" + found->second + "'");
    o.run_id = found->second;
  }
}

void check_directory_mode(const LaunchOptions& o) {
  if (!o.urls_file.empty()) refuse("--dir and a URLS_FILE exclude each other");
  static const std::regex formats("(json|text|nul|fdupes|csv)(,(json|text|nul|fdupes|csv))*");
  for (std::size_t i = 0; i + 1 < o.report_args.size(); ++i) {
    const std::string& v = o.report_args[i + 1];
    if (o.report_args[i] == "--format" && !std::regex_match(v, formats)) {
      refuse("--format takes json, text, nul, fdupes, csv (comma-separated), got '" + v + "'");
    }
    if (o.report_args[i] == "--action" && v != "link" && v != "delete") {
      refuse("--action takes link or delete, got '" + v + "'");
    }
  }
  for (const auto& [link, transport] : o.link_overrides) {
    if (link != "walked" && link != "sized" && link != "digests") {
      refuse("unknown link '" + link + "' (directory mode: walked, sized, digests)");
    }
  }
}

bool has_fetcher_option(const LaunchOptions& o, const std::string& name) {
  return std::find(o.fetcher_args.begin(), o.fetcher_args.end(), name) != o.fetcher_args.end();
}

// The crawl's run-wide --per-host goes to the frontier; the fetchers get it too, as a cap of
// their own that never binds below the frontier's. --insecure also goes to the frontier, which
// fetches robots.txt and sitemaps itself.
void check_crawl_mode(LaunchOptions& o) {
  if (!o.producer_cmd.empty()) refuse("--producer-cmd and --crawl exclude each other");
  if (o.urls_file == "-") refuse("--crawl needs a SEEDS_FILE, not stdin");
  const auto per_host = std::find(o.fetcher_args.begin(), o.fetcher_args.end(), "--per-host");
  if (per_host != o.fetcher_args.end() && per_host + 1 != o.fetcher_args.end()) {
    o.crawl_args.insert(o.crawl_args.end(), {"--per-host", *(per_host + 1)});
  }
  if (has_fetcher_option(o, "--insecure")) o.crawl_args.push_back("--insecure");
}

void check_url_mode(LaunchOptions& o) {
  if (!o.walk_args.empty() || !o.group_args.empty() || !o.report_args.empty()) {
    refuse("--follow-links, --include-empty, --verify, --format and --action need --dir");
  }
  if (!o.is_crawl && (!o.crawl_args.empty() || has_fetcher_option(o, "--respect-nofollow"))) {
    refuse(
        "--depth, --max-pages, --delay, --allow-host, --no-parent, --ignore-robots, --sitemaps, "
        "--trap-limit, --accept, --reject and --respect-nofollow need --crawl");
  }
  for (const auto& [link, transport] : o.link_overrides) {
    if (link != "urls" && link != "paths" && link != "digests" &&
        !(o.is_crawl && link == "found")) {
      refuse("unknown link '" + link + "' (urls, paths, digests" +
             (o.is_crawl ? ", found)" : "; crawl mode also found)"));
    }
  }
  if (o.is_crawl) check_crawl_mode(o);
  if (o.urls_file.empty() && !o.is_resume)
    refuse(o.is_crawl ? "missing SEEDS_FILE" : "missing URLS_FILE");
  if (!o.urls_file.empty() && o.urls_file != "-" && ::access(o.urls_file.c_str(), R_OK) != 0) {
    refuse("cannot read URL list '" + o.urls_file + "'");
  }
}

// The absolute path of a file the run writes later, refused now if its directory is missing.
std::string absolute_file_path(const std::string& option, const std::string& file) {
  std::filesystem::path path(file);
  const auto parent = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code error;
  if (!std::filesystem::is_directory(parent, error))
    refuse(option + ": no directory for '" + file + "'");
  return (std::filesystem::canonical(parent) / path.filename()).string();
}

void check_observers(LaunchOptions& o) {
  // Directory mode has live counters (dupipe-top RUN_DIR in another terminal shows them), but
  // its stages write no trace spans and its report has no timeline.
  if (o.is_directory_mode() && (o.is_monitor || !o.trace_file.empty())) {
    refuse("--trace and --monitor are for URL mode, not --dir");
  }
  if (o.is_monitor && !(::isatty(STDOUT_FILENO) && ::access("/dev/tty", R_OK) == 0)) {
    refuse("--monitor needs a terminal on stdout");
  }
  if (!o.trace_file.empty()) o.trace_file = absolute_file_path("--trace", o.trace_file);
}

void check(LaunchOptions& o) {
  static const char* const kAlgorithms[] = {"sha256", "sha1", "md5", "blake2b", "xxh128"};
  if (std::find(std::begin(kAlgorithms), std::end(kAlgorithms), o.algo) == std::end(kAlgorithms)) {
    refuse("unsupported --algo '" + o.algo + "' (sha256, sha1, md5, blake2b, xxh128)");
  }
  check_observers(o);
  if (!o.run_dir_file.empty())
    o.run_dir_file = absolute_file_path("--run-dir-file", o.run_dir_file);
  if (o.is_directory_mode()) {
    if (o.is_crawl) refuse("--dir and --crawl exclude each other");
    if (!o.crawl_args.empty())
      refuse("--depth, --max-pages and the other crawl options need --crawl");
    check_directory_mode(o);
  } else {
    check_url_mode(o);
  }
}

}  // namespace

Transport LaunchOptions::transport_of(const std::string& link) const {
  auto found = link_overrides.find(link);
  return found == link_overrides.end() ? transport : found->second;
}

std::string usage_text(std::uint32_t cores) {
  std::string text = kUsage;
  text.replace(text.find("@CORES@"), 7, std::to_string(cores));
  return text;
}

ParseOutcome parse_options(int argc, char** argv) {
  const auto cores = static_cast<std::uint32_t>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  LaunchOptions options;
  options.hashers = cores;
  std::map<std::string, std::string> raw;
  bool wants_help = false;
  bool wants_version = false;
  CLI::App app("dupipe-supervise");
  app.set_help_flag();
  app.allow_extras(false);
  // As the shell launcher always did: a repeated option's last value counts (the launcher's
  // own --bin-dir comes first, a user's after it).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  add_options(app, options, raw, wants_help, wants_version);
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
      refuse(error.what());
    }
    if (wants_help) {
      std::cout << usage_text(cores);
      return {std::nullopt, 0};
    }
    if (wants_version) {
      std::cout << version_line() << '\n';
      return {std::nullopt, 0};
    }
    apply_counts(options, raw);
    // The stages get absolute paths (they may change directory); the launcher passes its own
    // location as it found it, without a subshell to resolve it.
    if (!options.bin_dir.empty()) {
      std::error_code error;
      const auto resolved = std::filesystem::weakly_canonical(options.bin_dir, error);
      if (!error) options.bin_dir = resolved.string();
    }
    if (options.run_id.empty()) options.run_id = default_run_id();
    if (const char* pause = std::getenv("DUPIPE_TEST_PAUSE_DIR")) options.test_pause_dir = pause;
    if (const char* limit = std::getenv("DUPIPE_TEST_MAX_OPEN_FILES"))
      options.test_max_open_files = limit;
    if (!options.is_cleanup) check(options);
  } catch (const UsageError& error) {
    std::cerr << "run_pipeline: " << error.message << "\nTry 'dupipe --help'.\n";
    return {std::nullopt, 2};
  }
  return {std::move(options), 0};
}

}  // namespace dupipe::supervisor
