#!/usr/bin/env bash
# run_target.sh: runs one libFuzzer binary for SECONDS over its seeds. Used by scripts/fuzz.sh
# and by the fuzz.run.* tests that ctest runs in a DUPIPE_FUZZ build (30 s each in
# scripts/test.sh). libFuzzer writes the inputs it finds into its first corpus directory, so that
# one is WORK_DIR/corpus (kept between runs), never the seeds in the source tree. A crashing
# input goes to WORK_DIR/crashes/; exit 1 then, with the input's path and what to do with it.
# Usage: run_target.sh BINARY SECONDS WORK_DIR SEED_DIR...
set -euo pipefail
[[ $# -ge 4 ]] || { echo "usage: run_target.sh BINARY SECONDS WORK_DIR SEED_DIR..." >&2; exit 2; }
binary=$1 seconds=$2 work_dir=$3
shift 3
[[ -x $binary ]] || { echo "run_target.sh: $binary is not an executable" >&2; exit 2; }
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "run_target.sh: SECONDS must be a positive integer, got '$seconds'" >&2; exit 2; }
target=$(basename "$binary")
mkdir -p "$work_dir/corpus" "$work_dir/crashes"
log=$work_dir/$target.log
echo "run_target.sh: $target for $seconds s (corpus $work_dir/corpus, log $log)" >&2
status=0
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
  -print_final_stats=1 -artifact_prefix="$work_dir/crashes/$target-" \
  "$work_dir/corpus" "$@" 2>"$log" || status=$?
grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" >&2 || true
if [[ $status -ne 0 ]]; then
  echo "run_target.sh: $target FOUND A CRASH (exit $status); log $log" >&2
  grep -E 'ERROR|SUMMARY|property violated|Test unit written' "$log" >&2 || true
  echo "run_target.sh: once fixed, copy the input to tests/fuzz/regressions/${target#fuzz_}/ so ctest replays it" >&2
  exit 1
fi
# A binary that ran nothing (a broken build, no corpus) must not pass for a clean fuzz run.
executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
[[ ${executed:-0} -gt 0 ]] || { echo "run_target.sh: $target executed no input; log $log" >&2; exit 1; }
echo "run_target.sh: $target: no crash in $seconds s, $executed inputs" >&2
