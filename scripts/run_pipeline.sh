#!/usr/bin/env bash
# run_pipeline.sh: the front door of dupipe. It finds the build, says what it starts, and execs
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

script_dir=$(cd "${BASH_SOURCE[0]%/*}" && pwd -P)  # no dirname process: start-up time counts
bin_dir=${DUPIPE_BIN_DIR:-$script_dir/../build/bin}
quiet=0
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --bin-dir) ((i + 1 < ${#args[@]})) && bin_dir=${args[i + 1]} ;;
    -h|--help|--dry-run|--cleanup) quiet=1 ;;
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
