// hasher: computes the digest of each file named by a P record and emits H records; in
// directory mode (--mode group) the same for size groups, opening each file once.
#include <map>
#include <memory>

#include "common/base/cli.hpp"
#include "common/transport/batching_writer.hpp"
#include "common/transport/instrumented_endpoint.hpp"
#include "hasher/hasher.hpp"

namespace {

// Directory mode passes tens of thousands of small records: batch them (docs/PROTOCOL.md).
dupipe::hasher::Counts run_groups(const dupipe::hasher::Config& config,
                                  const dupipe::Logger& logger,
                                  std::unique_ptr<dupipe::RecordReader> input,
                                  dupipe::StageStats* stats) {
  dupipe::BatchingWriter output(dupipe::instrument(dupipe::open_writer(config.out), stats),
                                dupipe::wants_batching(config.out));
  dupipe::hasher::GroupHasher hasher(config.algorithm,
                                     dupipe::hasher::open_file_budget(config.max_open_files));
  const auto counts = dupipe::hasher::run_groups(*input, output, hasher, logger);
  output.flush();
  if (counts.first_file_ns != 0) {  // read by bench/dedup.sh to time the hashing phase
    logger.info("group pass: " + std::to_string(counts.group.full_bytes) +
                " bytes hashed in full, " + std::to_string(counts.group.reopened) +
                " reopened, monotonic ns " + std::to_string(counts.first_file_ns) + " to " +
                std::to_string(counts.end_ns));
  }
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  using dupipe::hasher::HashMode;
  dupipe::hasher::Config config;
  bool verbose = false;
  CLI::App app{
      "hasher: reads P records (downloaded files), streams each file through an OpenSSL\n"
      "digest and emits H records with size and hex digest; F records pass through.\n"
      "--mode group (directory mode): reads size groups (G and W records) and emits H records\n"
      "for the files whose first and last 4 KiB another file of their group shares."};
  dupipe::cli::add_common_options(app, verbose);
  app.add_option("-i,--in", config.in, "Input endpoint")->capture_default_str();
  app.add_option("-o,--out", config.out, "Output endpoint")->capture_default_str();
  app.add_option("--algo", config.algorithm, "Digest algorithm")
      ->capture_default_str()
      ->check(CLI::IsMember({"sha256", "sha1", "md5", "blake2b", "xxh128"}));
  const std::map<std::string, HashMode> modes{{"url", HashMode::kUrl}, {"group", HashMode::kGroup}};
  app.add_option("--mode", config.mode, "url: P records; group: directory mode, G and W records")
      ->transform(CLI::CheckedTransformer(modes));
  app.add_option("--max-open-files", config.max_open_files,
                 "Test hook: large files of one group held open at most (more: reopened)")
      ->check(CLI::PositiveNumber)
      ->group("");
  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;

  return dupipe::cli::run_stage("hasher", verbose, [&](const dupipe::Logger& logger) {
    const auto stats = dupipe::cli::stage_stats("hasher", logger);
    auto input = dupipe::instrument(dupipe::open_reader(config.in), stats.get());
    dupipe::hasher::Counts counts;
    if (config.mode == HashMode::kGroup) {
      counts = run_groups(config, logger, std::move(input), stats.get());
    } else {
      dupipe::hasher::FileDigester digester(config.algorithm);
      dupipe::BatchingWriter output(
          dupipe::instrument(dupipe::open_writer(config.out), stats.get()), false);
      counts = dupipe::hasher::run(*input, output, digester, config.algorithm, logger);
    }
    logger.info(std::to_string(counts.hashed) + " hashed, " + std::to_string(counts.failed) +
                " failed");
  });
}
