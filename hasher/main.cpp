// hasher: computes the digest of each file named by a P record and emits H records.
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
      ->check(CLI::IsMember({"sha256", "sha1", "md5"}));
  if (const auto rc = dupipe::cli::parse(app, argc, argv)) return *rc;

  return dupipe::cli::run_stage("hasher", verbose, [&](const dupipe::Logger& logger) {
    dupipe::hasher::FileDigester digester(config.algorithm);
    const auto stats = dupipe::cli::stage_stats("hasher", logger);
    const auto input = dupipe::instrument(dupipe::open_reader(config.in), stats.get());
    const auto output = dupipe::instrument(dupipe::open_writer(config.out), stats.get());
    const auto counts = dupipe::hasher::run(*input, *output, digester, config.algorithm, logger);
    logger.info(std::to_string(counts.hashed) + " hashed, " + std::to_string(counts.failed) +
                " failed");
  });
}
