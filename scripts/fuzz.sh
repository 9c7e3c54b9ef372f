#!/usr/bin/env bash
# fuzz.sh: builds the libFuzzer targets of tests/fuzz (clang, AddressSanitizer +
# UndefinedBehaviorSanitizer, in build-fuzz/) and runs each for SECONDS (default 60).
# Each target keeps a growing corpus in build-fuzz/corpus/TARGET (or $DUPIPE_FUZZ_CORPUS/TARGET),
# started from tests/fuzz/seeds/TARGET. A crashing input is written to build-fuzz/crashes/ and
# the script exits 1 after running the remaining targets; copy it to tests/fuzz/regressions/TARGET/
# so ctest replays it (fuzz.seeds.TARGET) once the bug is fixed.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   targets: record_codec url_intake file_naming report_reader
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=lib/setup.sh
source "$root/scripts/lib/setup.sh"

seconds=${1:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: SECONDS must be a positive integer, got '$seconds'" >&2; exit 2; }
shift $(($# > 0 ? 1 : 0))
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(record_codec url_intake file_naming report_reader)

# libclang-rt-14-dev holds libFuzzer and the sanitizer runtimes for clang 14.
ensure_packages "${DUPIPE_PACKAGES[@]}" clang libclang-rt-14-dev
build_dir=$root/build-fuzz
corpus_root=${DUPIPE_FUZZ_CORPUS:-$build_dir/corpus}
CXX=clang++ cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDUPIPE_FUZZ=ON \
  -DDUPIPE_BUILD_TESTS=ON -DDUPIPE_BUILD_BENCH=OFF >&2
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]/#/fuzz_}" >&2

mkdir -p "$build_dir/crashes"
failed=()
for target in "${targets[@]}"; do
  corpus=$corpus_root/$target
  mkdir -p "$corpus"
  echo "fuzz.sh: $target for $seconds s (corpus $corpus)" >&2
  status=0
  "$build_dir/bin/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$build_dir/crashes/$target-" \
    "$corpus" "$root/tests/fuzz/seeds/$target" 2>"$build_dir/$target.log" || status=$?
  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$build_dir/$target.log" >&2 || true
  if [[ $status -ne 0 ]]; then
    echo "fuzz.sh: $target FOUND A CRASH (exit $status); log $build_dir/$target.log" >&2
    grep -E 'ERROR|SUMMARY|property violated|Test unit written' "$build_dir/$target.log" >&2 || true
    failed+=("$target")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: crashes in: ${failed[*]} (inputs in $build_dir/crashes)" >&2
  exit 1
fi
echo "fuzz.sh: no crash in ${targets[*]} ($seconds s each)" >&2
