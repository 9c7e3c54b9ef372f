#!/usr/bin/env bash
# test.sh: the whole test suite. Installs missing dependencies, builds and runs ctest.
#   (default) or --sanitize: clang with AddressSanitizer + UndefinedBehaviorSanitizer in every
#             program and test (build-sanitize/), plus the libFuzzer targets, each fuzzed for
#             DUPIPE_FUZZ_SECONDS (30) by the fuzz.run.* tests. This is what CI runs.
#   --release: the same tests on the Release build (build/) that demo.sh and the benchmarks use,
#             without fuzzing; quicker to build.
# Usage: scripts/test.sh [--sanitize|--release] [ctest arguments, e.g. -R unit or -L fuzz]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=lib/setup.sh
source "$root/scripts/lib/setup.sh"

# mandoc, bash-completion, zsh, dpkg-dev, lintian: the man-page, completion and Debian-package tests.
packages=("${DUPIPE_PACKAGES[@]}" clang-format git python3 shellcheck util-linux procps tmux strace chromium openssl time
          mandoc bash-completion zsh dpkg-dev lintian)
flavour=sanitize
case ${1:-} in
  --sanitize) shift ;;
  --release) flavour=release; shift ;;
esac
if [[ $flavour == release ]]; then
  build_dir=$root/build
  cmake_args=(-DDUPIPE_BUILD_TESTS=ON -DDUPIPE_BUILD_BENCH=ON -DDUPIPE_FUZZ=OFF)
else
  # libclang-rt-14-dev: libFuzzer and clang's sanitizer runtimes; llvm: llvm-symbolizer, which
  # turns the addresses of a sanitizer report into file:line.
  packages+=(clang libclang-rt-14-dev llvm)
  build_dir=$root/build-sanitize
  # Debug: no NDEBUG, so assertions run too. Unoptimised but for the hot libraries
  # (CMakeLists.txt), and line tables only: all a sanitizer report needs, and quick to build.
  cmake_args=(-DDUPIPE_BUILD_TESTS=ON -DDUPIPE_BUILD_BENCH=OFF -DDUPIPE_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
              "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -gline-tables-only"
              "-DDUPIPE_FUZZ_SECONDS=${DUPIPE_FUZZ_SECONDS:-30}")
  cmake_args+=(-DCMAKE_CXX_COMPILER=clang++)
  # CMake cannot switch the compiler of a configured tree in place (an older build-sanitize was g++'s).
  if [[ -f $build_dir/CMakeCache.txt ]] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang' "$build_dir/CMakeCache.txt"; then
    echo "test.sh: $build_dir was configured for another compiler; configuring it again for clang" >&2
    rm -rf -- "$build_dir/CMakeCache.txt" "$build_dir/CMakeFiles"
  fi
fi

ensure_packages "${packages[@]}"
build_dupipe "$root" "$build_dir" "${cmake_args[@]}"
cd "$build_dir"
# Most integration tests wait on sleeps, timeouts and loopback transfers, not on the CPU: the
# sanitized suite runs 2 tests per core.
jobs=$(nproc)
[[ $flavour == release ]] || jobs=$((2 * jobs))
ctest --output-on-failure -j "$jobs" --timeout 600 "$@"
