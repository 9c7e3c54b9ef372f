#!/usr/bin/env bash
# test.sh: the whole test suite. Installs missing dependencies, builds (Release, or with
# AddressSanitizer + UndefinedBehaviorSanitizer given --sanitize) and runs ctest.
# Usage: scripts/test.sh [--sanitize] [ctest arguments, e.g. -R unit]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=lib/setup.sh
source "$root/scripts/lib/setup.sh"

build_dir=$root/build
cmake_args=(-DDUPIPE_BUILD_TESTS=ON)
if [[ ${1:-} == --sanitize ]]; then
  shift
  build_dir=$root/build-sanitize
  cmake_args+=(-DDUPIPE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi

ensure_packages "${DUPIPE_PACKAGES[@]}" python3 shellcheck util-linux procps tmux strace chromium openssl time
build_dupipe "$root" "$build_dir" "${cmake_args[@]}"
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
