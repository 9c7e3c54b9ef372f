// --segments, --per-host and --transfers all bound the connections of one large file: the
// segments of a file are transfers to one host. Left alone, the smaller cap wins without a word
// (--segments 16 alone fetched over 6 connections, --per-host's default). reconcile_caps makes
// the options mean what they say: a cap the user did not give is raised to --segments; a cap the
// user gave stays, and the run says which one binds.
#pragma once

#include <string>
#include <vector>

#include "fetcher/download_options.hpp"

namespace dupipe::fetcher {

// Which of the caps were given on the command line (the others hold their defaults).
struct GivenCaps {
  bool segments = false;
  bool per_host = false;
  bool transfers = false;
};

struct CapNote {
  bool is_warning = false;  // two options the user gave disagree: the lower one binds
  std::string text;
};

// Raises per_host and transfers to segments where they were not given. Notes, for the log: an
// info for a cap raised for a --segments the user gave, a warning where caps the user gave bind
// below each other; nothing where only defaults meet.
[[nodiscard]] std::vector<CapNote> reconcile_caps(DownloadOptions& options, GivenCaps given);

}  // namespace dupipe::fetcher
