// hasher: computes the digest of each file named by a P record and emits H records.
#include <map>
#include <memory>

#include "common/batching_writer.hpp"
#include "common/cli.hpp"
#include "common/instrumented_endpoint.hpp"
#include "hasher/hasher.hpp"

int main(int argc, char** argv) {
  dupipe::hasher::Config config;
  bool verbose = false;
  CLI::App app{
      "hasher: reads P records (downloaded files), streams each file through an OpenSSL\n"
      "digest and emits H records with size and hex digest; F records pass through."};
  dupipe::cli::add_common_options(app, verbose);
  app.add_option("-i,--in", config.in, "Input endpoint")->capture_default_str();
  app.add_option("-o,--out", config.out, "Output endpoint")->capture_default_str();
  app.add_option("--algo", config.algorithm, "Digest algorithm")
      ->capture_default_str()
      ->check(CLI::IsMember({"sha256", "sha1", "md5", "blake2b", "xxh128"}));
  const std::map<std::string, dupipe::hasher::HashMode> modes{
      {"url", dupipe::hasher::HashMode::kUrl},
      {"full", dupipe::hasher::HashMode::kFull},
      {"partial", dupipe::hasher::HashMode::kPartial}};
  app.add_option("--mode", config.mode,
                 "url: P records; full / partial: directory mode, W records get their full digest\n"
                 "or the digest of their first and last 4 KiB")
      ->transform(CLI::CheckedTransformer(modes));
  app.add_option("--digests-out", config.digests_out,
                 "Directory mode: endpoint for the H records made here (default: --out)");
  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;

  return dupipe::cli::run_stage("hasher", verbose, [&](const dupipe::Logger& logger) {
    dupipe::hasher::FileDigester digester(config.algorithm);
    const auto stats = dupipe::cli::stage_stats("hasher", logger);
    const auto input = dupipe::instrument(dupipe::open_reader(config.in), stats.get());
    // Directory mode passes tens of thousands of small records: batch them (docs/PROTOCOL.md).
    const bool is_batched =
        config.mode != dupipe::hasher::HashMode::kUrl && dupipe::wants_batching(config.out);
    dupipe::BatchingWriter output(dupipe::instrument(dupipe::open_writer(config.out), stats.get()),
                                  is_batched);
    std::unique_ptr<dupipe::BatchingWriter> digests;
    if (!config.digests_out.empty()) {
      digests = std::make_unique<dupipe::BatchingWriter>(
          dupipe::instrument(dupipe::open_writer(config.digests_out), stats.get()),
          is_batched && dupipe::wants_batching(config.digests_out));
    }
    const auto counts = dupipe::hasher::run(*input, output, digester, config.algorithm, logger,
                                            config.mode, digests.get());
    output.flush();
    if (digests) digests->flush();
    logger.info(std::to_string(counts.hashed) + " hashed, " + std::to_string(counts.failed) +
                " failed");
    if (counts.first_file_ns != 0) {  // read by bench/dedup.sh to time the hashing phases
      logger.info(std::string(config.mode == dupipe::hasher::HashMode::kFull ? "full" : "partial") +
                  " pass: " + std::to_string(counts.full_bytes) + " bytes hashed in full, monotonic ns " +
                  std::to_string(counts.first_file_ns) + " to " + std::to_string(counts.end_ns));
    }
  });
}
