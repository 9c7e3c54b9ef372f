#!/usr/bin/env bash
# run_pipeline.sh, installed as `dupipe`: the front door of dupipe. It finds the stage
# executables (installed: ../libexec/dupipe beside this script; in a checkout: build/bin) and
# execs the supervisor, dupipe-supervise (supervisor/), which takes every option (--help lists them):
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
# elsewhere). No command substitution but readlink for a symlink: each one forks a subshell, and
# this script's start-up is part of every run's fixed cost (on an empty run two subshells cost as
# much as the supervisor's own work). The supervisor makes --bin-dir absolute and canonical.
self=${BASH_SOURCE[0]}
[[ -L $self ]] && self=$(readlink -f -- "$self")
script_dir=.
[[ $self == */* ]] && script_dir=${self%/*}
# An installed launcher (bin/dupipe) has its stages in ../libexec/dupipe, as git keeps git-*;
# the checkout's scripts/run_pipeline.sh uses the checkout's build.
if [[ -x $script_dir/../libexec/dupipe/dupipe-supervise ]]; then
  default_bin_dir=$script_dir/../libexec/dupipe
else
  default_bin_dir=$script_dir/../build/bin
fi
bin_dir=${DUPIPE_BIN_DIR:-$default_bin_dir}
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --bin-dir) ((i + 1 < ${#args[@]})) && bin_dir=${args[i + 1]} ;;
    --) break ;;
  esac
done
supervisor=${bin_dir%/}/dupipe-supervise
if [[ ! -x $supervisor ]]; then
  echo "run_pipeline: $supervisor is missing: build first (scripts/test.sh or scripts/demo.sh)" >&2
  exit 2
fi
exec "$supervisor" --bin-dir "$bin_dir" "$@"
