#!/usr/bin/env bash
# scripts/lib/supervise.sh: stopping the one-second ticker after it has already exited must not
# fail under 'set -e' (it once ended finished directory-mode runs with a silent exit 1), and a
# link written by two roles is released only when the last writer of both has exited.
# shellcheck disable=SC2154  # sv_* arrays come from the sourced supervise.sh
set -euo pipefail
: "${DUPIPE_SOURCE_DIR:?}"
# shellcheck source=../../scripts/lib/supervise.sh
source "$DUPIPE_SOURCE_DIR/scripts/lib/supervise.sh"
export TMPDIR=${TMPDIR:-/tmp}
fail() { echo "FAIL: $*" >&2; exit 1; }

sv_start
sv_start_ticker
sleep 1.3  # the ticker sleeps 1 s: it has exited and bash has reaped it
sv_stop_ticker || fail "sv_stop_ticker failed"
[[ -z $sv_ticker ]] || fail "ticker still recorded"

sv_link shared
sv_writes first shared
sv_writes second shared
sv_spawn first true </dev/null
sv_spawn second sleep 0.5 </dev/null
keeper=${sv_keeper[shared]}
sv_wait  # 'first' exits at once, 'second' half a second later
[[ ${sv_keeper[shared]} == closed && -n $keeper ]] || fail "keeper not released after both writers"
[[ ${sv_writers[shared]} -eq 0 ]] || fail "writers left: ${sv_writers[shared]}"
echo ok
