#!/usr/bin/env bash
# A stand-in for dupipe's hasher, to show that any program speaking docs/PROTOCOL.md can take a
# stage's place:  scripts/run_pipeline.sh --hasher-cmd scripts/examples/sha256_hasher.sh URLS
# P records in, H records out, F records passed through. Several copies share one FIFO, so each
# takes its line under 'flock 0' (bash reads a pipe byte by byte: it never takes more than one).
# Fields are used as they arrive (escaped); dupipe's own file names never need escaping.
set -u
while flock 0 && IFS= read -r line; do
  flock -u 0
  IFS=$'\t' read -r tag id url path size _ <<<"$line"
  if [[ $tag != P ]]; then printf '%s\n' "$line"; continue; fi
  if ! sum=$(sha256sum <"$path"); then
    printf 'F\t%s\t%s\thasher\t%s\n' "$id" "$url" "$path: cannot read"
    continue
  fi
  printf 'H\t%s\t%s\t%s\t%s\tsha256\t%s\n' "$id" "$url" "$path" "$size" "${sum%% *}"
done
