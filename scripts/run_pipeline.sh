#!/usr/bin/env bash
# run_pipeline.sh, installed as `dupipe`: the front door of dupipe. It finds the stage
# executables (installed: ../libexec/dupipe beside this script; in a checkout: build/bin), says
# what it starts, and execs
# the supervisor, dupipe-supervise (supervisor/), which takes every option (--help lists them):
# it builds the run's topology — processes, links and their transports — creates the private run
# directory, FIFOs and shared-memory segments, starts and supervises the stages, and removes what
# it made on every exit path. `--dry-run` prints the topology without running anything.
#
#   producer --urls--> fetcher x N --paths--> hasher x M --digests--> aggregator --> OUT/report.*
#
# exec keeps this script's pid: the supervisor is the process a user started (and what its
# stages' PR_SET_PDEATHSIG watches), so Ctrl-C, kill and `wait` reach it directly.
set -euo pipefail

# This script's own directory, symlinks resolved (/usr/local/bin/dupipe may link to an install
# elsewhere). No dirname process, and readlink only for a symlink: start-up time counts.
self=${BASH_SOURCE[0]}
[[ -L $self ]] && self=$(readlink -f -- "$self")
[[ $self == */* ]] || self=./$self
script_dir=$(cd "${self%/*}" && pwd -P)
# An installed launcher (bin/dupipe) has its stages in ../libexec/dupipe, as git keeps git-*;
# the checkout's scripts/run_pipeline.sh uses the checkout's build.
if [[ -x $script_dir/../libexec/dupipe/dupipe-supervise ]]; then
  default_bin_dir=$script_dir/../libexec/dupipe
else
  default_bin_dir=$script_dir/../build/bin
fi
bin_dir=${DUPIPE_BIN_DIR:-$default_bin_dir}
quiet=0
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --bin-dir) ((i + 1 < ${#args[@]})) && bin_dir=${args[i + 1]} ;;
    -h|--help|--version|--dry-run|--cleanup) quiet=1 ;;
    --) break ;;
  esac
done
bin_dir=$(cd -- "$bin_dir" 2>/dev/null && pwd -P) || bin_dir=${bin_dir%/}  # as given when missing
supervisor=$bin_dir/dupipe-supervise
if [[ ! -x $supervisor ]]; then
  echo "run_pipeline: $supervisor is missing: build first (scripts/test.sh or scripts/demo.sh)" >&2
  exit 2
fi
[[ $quiet -eq 1 ]] || echo "run_pipeline: supervisor $supervisor (pid $$)" >&2
exec "$supervisor" --bin-dir "$bin_dir" "$@"
