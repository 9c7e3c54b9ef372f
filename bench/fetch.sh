#!/usr/bin/env bash
# bench/fetch.sh: the fetcher side by side with aria2c and curl --parallel, in one run, against
# the same loopback servers. Not a timed test: it prints a table with the ratios the fetcher
# issue asks for (docs/PERFORMANCE.md records the figures).
#   1. many small files with a per-request latency, equal total concurrency for every tool
#      (nginx behind bench/latency_relay.py, which holds each request for one round trip);
#   2. one large file from nginx capped per connection (limit_rate), dupipe with S segments
#      against aria2c -x S -s S, and the uncapped single-stream rate to a file as the ceiling.
# Installs aria2, curl and nginx from Debian when missing (as root). Needs the build (build/bin).
# Usage: bench/fetch.sh [--files N] [--rtt-ms MS] [--concurrency C] [--big-mib M] [--cap-mbs R]
#                       [--segments S] [--runs R] [--dir DIR]
# With --runs R every command runs R times and the best time counts (the machine is shared).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/lib/setup.sh
source "$root/scripts/lib/setup.sh"
# shellcheck source=../bench/lib.sh
source "$root/bench/lib.sh"

files=2000 rtt_ms=40 concurrency=16 big_mib=1024 cap_mbs=50 segments=16 runs=1 base_dir=${TMPDIR:-/tmp}
while [[ $# -gt 0 ]]; do
  case $1 in
    --files) files=$2; shift 2 ;;
    --rtt-ms) rtt_ms=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --big-mib) big_mib=$2; shift 2 ;;
    --cap-mbs) cap_mbs=$2; shift 2 ;;
    --segments) segments=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --dir) base_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "fetch.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
bin=$root/build/bin
[[ -x $bin/fetcher && -x $bin/dupipe-testserver ]] || { echo "build first: scripts/test.sh" >&2; exit 2; }
ensure_packages aria2 curl nginx python3

bench_workdir "$base_dir" dupipe-bench
mbs() { python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]) / 1e6:.0f}')" "$1" "$2"; }

# --- corpus and servers ----------------------------------------------------------------------
log "making $files files of 16-256 KiB and one $big_mib MiB file in $work/root"
mkdir -p "$work/root/small"
python3 - "$work/root/small" "$files" <<'PY'
import os, random, sys
random.seed(1)
for i in range(int(sys.argv[2])):
    with open(os.path.join(sys.argv[1], f"f{i:05d}.bin"), "wb") as out:
        out.write(os.urandom(random.randint(16, 256) * 1024))
PY
head -c "$((big_mib * 1024 * 1024))" /dev/urandom >"$work/root/big.bin"
big_bytes=$((big_mib * 1024 * 1024))

nginx_port=$(free_port)
write_nginx_conf <<NGINX
  tcp_nopush on;
  server {
    listen 127.0.0.1:$nginx_port;
    location /cap/ { alias $work/root/; limit_rate ${cap_mbs}m; }
    location /raw/ { alias $work/root/; }
  }
NGINX
start_nginx "http://127.0.0.1:$nginx_port/raw/small/f00000.bin"
ng=http://127.0.0.1:$nginx_port
start_relay "$nginx_port" "$rtt_ms"
for ((i = 0; i < files; i++)); do
  printf 'http://127.0.0.1:%s/raw/small/f%05d.bin\n' "$relay_port" "$i"
done >"$work/small.urls"

declare -A seconds=()
# run NAME OUT_DIR COMMAND...: times COMMAND (stdin: /dev/null) $runs times, each with a fresh OUT_DIR (left in
# place after the last run for checks); the best time goes to seconds[NAME].
run() {
  local name=$1 out=$2 start took best="" round
  shift 2
  for ((round = 0; round < runs; round++)); do
    rm -rf -- "$out"
    mkdir -p "$out"
    sync
    start=$(now)
    "$@" </dev/null >"$work/$name.log" 2>&1 || { log "$name failed: $(tail -3 "$work/$name.log")"; seconds[$name]=nan; return 0; }
    took=$(elapsed "$start")
    log "$name: $took s"
    if [[ -z $best ]] || python3 -c "import sys; sys.exit(not float(sys.argv[1]) < float(sys.argv[2]))" "$took" "$best"; then
      best=$took
    fi
  done
  seconds[$name]=$best
}
count_files() { find "$1" -type f ! -name '.*' | wc -l; }

# --- 1. many small files with latency --------------------------------------------------------
log "workload 1: $files files, ${rtt_ms} ms per request, concurrency $concurrency"
half=$((concurrency / 2))
run dupipe1 "$work/o1" "$bin/fetcher" --files-dir "$work/o1" --transfers "$concurrency" \
  --per-host "$concurrency" --in "$work/small.urls" --out /dev/null
[[ $(count_files "$work/o1") -eq $files ]] || log "dupipe fetched $(count_files "$work/o1") of $files files"
run pipeline1 "$work/o2" "$root/scripts/run_pipeline.sh" --bin-dir "$bin" --out "$work/o2" \
  --fetchers 2 --transfers "$half" --per-host "$half" "$work/small.urls"
run aria2c1 "$work/o3" aria2c -q -j "$concurrency" -x 1 -s 1 --file-allocation=none \
  --auto-file-renaming=false --allow-overwrite=true -d "$work/o3" -i "$work/small.urls"
[[ $(count_files "$work/o3") -eq $files ]] || log "aria2c fetched $(count_files "$work/o3") of $files files"
sed 's/^/url = /' "$work/small.urls" >"$work/small.curl"
run curl1 "$work/o4" curl -s --parallel --parallel-max "$concurrency" --remote-name-all \
  --output-dir "$work/o4" --config "$work/small.curl"
[[ $(count_files "$work/o4") -eq $files ]] || log "curl fetched $(count_files "$work/o4") of $files files"
rm -rf -- "$work/o1" "$work/o2" "$work/o3" "$work/o4"
bound=$(python3 -c "print(f'{$files * $rtt_ms / 1000 / $concurrency:.2f}')")

# --- 2. one large file, capped per connection ------------------------------------------------
log "workload 2: $big_mib MiB, ${cap_mbs} MB/s per connection, $segments segments"
run uncapped2 "$work/o5" curl -s -o "$work/o5/big.bin" "$ng/raw/big.bin"
rm -rf -- "$work/o5"
echo "$ng/cap/big.bin" >"$work/big.urls"
run dupipe2 "$work/o6" "$bin/fetcher" --files-dir "$work/o6" --segments "$segments" \
  --transfers "$segments" --per-host "$segments" --max-filesize 0 --in "$work/big.urls" --out /dev/null
dupipe_ok=no
cmp -s "$work/root/big.bin" "$(find "$work/o6" -type f -name '*big.bin')" && dupipe_ok=yes
rm -rf -- "$work/o6"
run aria2c2 "$work/o7" aria2c -q -x "$segments" -s "$segments" --file-allocation=falloc \
  --allow-overwrite=true -d "$work/o7" "$ng/cap/big.bin"
rm -rf -- "$work/o7"
cap_bytes=$((cap_mbs * 1000 * 1000))
limit=$(python3 -c "print(min($segments * $cap_bytes, $big_bytes / ${seconds[uncapped2]}) / 1e6)")

# --- table -----------------------------------------------------------------------------------
fastest=$(python3 -c "print(min(${seconds[aria2c1]}, ${seconds[curl1]}))")
cat <<TABLE

| workload | tool | seconds | rate | ratio |
|---|---|---|---|---|
| 1: $files files, ${rtt_ms} ms/request, concurrency $concurrency | dupipe fetcher (1 x $concurrency transfers) | ${seconds[dupipe1]} | | $(ratio "$fastest" "${seconds[dupipe1]}")x faster than the faster other tool (goal >= 1.1); $(ratio "${seconds[dupipe1]}" "$bound") x latency bound (goal <= 1.15) |
| | dupipe pipeline (2 fetchers x $half, hashing, report) | ${seconds[pipeline1]} | | $(ratio "$fastest" "${seconds[pipeline1]}")x |
| | aria2c -j $concurrency | ${seconds[aria2c1]} | | |
| | curl --parallel --parallel-max $concurrency | ${seconds[curl1]} | | |
| | latency bound (files x RTT / concurrency) | $bound | | |
| 2: $big_mib MiB, ${cap_mbs} MB/s per connection | dupipe fetcher, $segments segments (file identical: $dupipe_ok) | ${seconds[dupipe2]} | $(mbs "$big_bytes" "${seconds[dupipe2]}") MB/s | $(ratio "${seconds[aria2c2]}" "${seconds[dupipe2]}")x aria2c (goal >= 1.3); $(python3 -c "print(f'{$big_bytes / ${seconds[dupipe2]} / 1e6 / $limit:.2f}')") of the limit (goal >= 0.8) |
| | aria2c -x $segments -s $segments | ${seconds[aria2c2]} | $(mbs "$big_bytes" "${seconds[aria2c2]}") MB/s | |
| | curl, one uncapped stream to a file | ${seconds[uncapped2]} | $(mbs "$big_bytes" "${seconds[uncapped2]}") MB/s | |
| | limit: min($segments x cap, uncapped) | | $(python3 -c "print(f'{$limit:.0f}')") MB/s | |
TABLE
