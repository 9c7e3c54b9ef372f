#include "fetcher/connection_caps.hpp"

namespace dupipe::fetcher {
namespace {

std::string option(const char* name, int value) {
  return std::string(name) + " " + std::to_string(value);
}

// One cap against --segments: raised if it was not given, named if it binds.
void reconcile(int& cap, bool is_cap_given, const char* cap_name, int segments,
               bool are_segments_given, std::vector<CapNote>& notes) {
  if (cap >= segments) return;
  if (!is_cap_given) {
    if (are_segments_given) {
      notes.push_back({false, option(cap_name, cap) + " raised to " + std::to_string(segments) +
                                  " for " + option("--segments", segments)});
    }
    cap = segments;
    return;
  }
  if (!are_segments_given) return;  // the default --segments is only an upper bound
  notes.push_back({true, option("--segments", segments) + ": a file is fetched over at most " +
                             std::to_string(cap) + " connections (" + option(cap_name, cap) + ")"});
}

}  // namespace

std::vector<CapNote> reconcile_caps(DownloadOptions& options, GivenCaps given) {
  std::vector<CapNote> notes;
  reconcile(options.per_host, given.per_host, "--per-host", options.segments, given.segments,
            notes);
  reconcile(options.transfers, given.transfers, "--transfers", options.segments, given.segments,
            notes);
  // Both given, the host cap above the process cap: only --transfers connections exist at once.
  if (given.per_host && given.transfers && options.per_host > options.transfers) {
    notes.push_back({true, option("--per-host", options.per_host) + ": at most " +
                               std::to_string(options.transfers) + " connections to a host (" +
                               option("--transfers", options.transfers) + " in this fetcher)"});
  }
  return notes;
}

}  // namespace dupipe::fetcher
