#!/usr/bin/env bash
# bench/ipc.sh: builds dupipe (Release) and prints the IPC table of docs/IPC.md: records/s and
# MB/s for 64-byte and 4-KiB records, 1 sender -> 1 receiver and 2 -> 2, and ping-pong latency,
# over an anonymous pipe, a Unix-domain socket, dupipe's FIFO channel, Boost message_queue and
# dupipe's shared-memory queue, all measured in this one run. Not a test: run it on a quiet
# machine. Extra arguments go to dupipe-bench-ipc (--help lists them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/lib/setup.sh
source "$root/scripts/lib/setup.sh"
ensure_packages "${DUPIPE_PACKAGES[@]}"
build_dupipe "$root" "$root/build" -DDUPIPE_BUILD_BENCH=ON
echo "machine: $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
exec timeout 1200 "$root/build/bin/dupipe-bench-ipc" "$@"
