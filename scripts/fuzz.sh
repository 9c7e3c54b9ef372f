#!/usr/bin/env bash
# fuzz.sh: builds the libFuzzer targets of tests/fuzz (clang, AddressSanitizer +
# UndefinedBehaviorSanitizer, in build-fuzz/) and runs each for SECONDS (default 60).
# Each target keeps a growing corpus in build-fuzz/corpus/TARGET/corpus (or under
# $DUPIPE_FUZZ_CORPUS/TARGET), started from tests/fuzz/seeds/TARGET and its regressions. A crashing
# input is written to .../TARGET/crashes/ and the script exits 1 after running the remaining
# targets; copy it to tests/fuzz/regressions/TARGET/ so ctest replays it (fuzz.seeds.TARGET) once
# the bug is fixed. tests/fuzz/run_target.sh runs one target (also for ctest's fuzz.run.*).
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
work_root=${DUPIPE_FUZZ_CORPUS:-$build_dir/corpus}
CXX=clang++ cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDUPIPE_FUZZ=ON \
  -DDUPIPE_BUILD_TESTS=ON -DDUPIPE_BUILD_BENCH=OFF >&2
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]/#/fuzz_}" >&2

failed=()
for target in "${targets[@]}"; do
  seeds=("$root/tests/fuzz/seeds/$target")
  [[ ! -d $root/tests/fuzz/regressions/$target ]] || seeds+=("$root/tests/fuzz/regressions/$target")
  "$root/tests/fuzz/run_target.sh" "$build_dir/bin/fuzz_$target" "$seconds" "$work_root/$target" \
    "${seeds[@]}" || failed+=("$target")
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: crashes in: ${failed[*]} (inputs in $work_root/TARGET/crashes)" >&2
  exit 1
fi
echo "fuzz.sh: no crash in ${targets[*]} ($seconds s each)" >&2
