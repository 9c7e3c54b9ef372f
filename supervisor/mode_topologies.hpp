// The two topologies of dupipe, built from the launcher's options as pure functions (what
// `--dry-run` prints and the supervisor runs):
//   URL mode:        producer --urls--> fetcher xN --paths--> hasher xM --digests--> aggregator
//   directory mode:  producer --walked--> grouper --sized.0..M-1--> hasher xM --digests-->
//   aggregator
// Directory mode's grouper is a barrier (it must see every file before it knows which sizes are
// shared) and gives each whole size group to one hasher on that hasher's own link, so the hasher
// can compare the first and last 4 KiB of the group's files while it holds them open.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "supervisor/options.hpp"
#include "supervisor/topology.hpp"

namespace dupipe::supervisor {

struct UrlPass {
  std::string out_dir;    // absolute
  std::string state_dir;  // OUT/.dupipe
  std::uint32_t number = 1;
  bool is_last = false;
};

// The producer's input in the state directory: the URL list's copy, or a crawl's seeds (kept
// apart from the list a crawl's re-feed pass writes, so that --resume starts from the seeds).
[[nodiscard]] inline std::string input_list(const LaunchOptions& options,
                                            const std::string& state_dir) {
  return state_dir + (options.is_crawl ? "/seeds" : "/urls");
}

[[nodiscard]] Topology url_topology(const LaunchOptions& options, const RunNames& names,
                                    const UrlPass& pass);

// Links a stand-in command reads or writes on stdio: they stay FIFOs whatever was asked.
[[nodiscard]] std::vector<std::string> stand_in_links(const LaunchOptions& options);

[[nodiscard]] Topology directory_topology(const LaunchOptions& options, const RunNames& names,
                                          const std::string& out_dir);

// "links: urls=fifo (RUN/urls) paths=shm (/dev/shm/NAME, 1048576-byte ring) ..." for the log;
// sized.0 .. sized.M-1 are shown once as "sized".
[[nodiscard]] std::string describe_links(const Topology& topology, std::uint64_t shm_capacity);

}  // namespace dupipe::supervisor
