#!/usr/bin/env bash
# dedup.sh: times dupipe's directory mode against jdupes, rdfind, rmlint and fdupes on one
# generated corpus, warm page cache, side by side in one run; checks that all find the same
# groups; prints wall time, CPU time and peak memory with ratios to dupipe, and the machine's
# limits (openssl speed single-core x cores, xxhsum speed, warm-cache read bandwidth).
# Not a timed test. Usage: bench/dedup.sh [--files N] [--total-mib M] [--corpus DIR] [--keep]
#   [--repeat R]
# Defaults: 20000 files, 2048 MiB, corpus in a temporary directory removed at the end; each tool
# runs R = 3 times (warm cache before each run) and its fastest run is reported.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/lib/setup.sh
source "$root/scripts/lib/setup.sh"

files=20000
total_mib=2048
corpus=""
keep=0
repeat=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --files) files=$2; shift 2 ;;
    --total-mib) total_mib=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --repeat) repeat=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "dedup.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

ensure_packages "${DUPIPE_PACKAGES[@]}" jdupes rdfind rmlint fdupes xxhash time bc python3 openssl
[[ -x $root/build/bin/aggregator && -x $root/build/bin/grouper ]] || build_dupipe "$root" "$root/build"

work=$(mktemp -d "${TMPDIR:-/tmp}/dupipe-bench.XXXXXX")
trap 'rm -rf -- "$work"; [[ $keep -eq 1 || -z ${made_corpus:-} ]] || rm -rf -- "$corpus"' EXIT
if [[ -z $corpus ]]; then corpus=$work/corpus; fi
if [[ ! -d $corpus ]]; then
  made_corpus=1
  echo "generating $files files, about $total_mib MiB, in $corpus" >&2
  python3 "$root/bench/make_corpus.py" "$corpus" "$files" "$total_mib" >&2
fi
corpus=$(cd "$corpus" && pwd -P)

warm() { find "$corpus" -type f -print0 | xargs -0 cat >/dev/null; }

# measure NAME CMD...: R warm runs under GNU time; keeps the fastest run's wall time, CPU time
# (user + sys, children included) and peak RSS (of the largest single process).
declare -A wall cpu rss
measure() {
  local name=$1 run w u s m
  shift
  for ((run = 0; run < repeat; run++)); do
    warm
    /usr/bin/time -f '%e %U %S %M' -o "$work/time.$name" "$@" >"$work/out.$name" 2>"$work/err.$name" ||
      { echo "$name failed:" >&2; tail -5 "$work/err.$name" >&2; exit 1; }
    read -r w u s m <"$work/time.$name"
    if [[ -z ${wall[$name]:-} ]] || (($(echo "$w < ${wall[$name]}" | bc -l))); then
      cp -- "$work/err.$name" "$work/best-err.$name"  # the hashers' phase times of this run
      wall[$name]=$w
      cpu[$name]=$(echo "$u + $s" | bc -l)
      rss[$name]=$((m / 1024))
    fi
  done
}

dupipe=("$root/scripts/run_pipeline.sh" --bin-dir "$root/build/bin" --dir "$corpus")
measure dupipe-sha256 "${dupipe[@]}" --out "$work/dupipe-sha256"
measure dupipe-xxh128 "${dupipe[@]}" --out "$work/dupipe-xxh128" --algo xxh128
measure jdupes jdupes -r -q "$corpus"
measure rdfind rdfind -dryrun true -outputname "$work/rdfind.txt" "$corpus"
measure rmlint rmlint -o fdupes:"$work/rmlint.txt" "$corpus"  # -o: no rmlint.sh/.json in the cwd
measure fdupes fdupes -r -q "$corpus"

# Machine limits, in the same run.
speed() {  # speed ALGO: single-core openssl throughput in GB/s, 16 KiB blocks
  openssl speed -seconds 1 -bytes 16384 -evp "$1" 2>/dev/null | awk -v a="$1" '$1 == a { v=$NF; sub(/k$/, "", v); printf "%.2f", v * 1000 / 1000000000 }'
}
xxh_speed() {  # GB/s of XXH128 on a 100 KB sample in cache (xxhsum -b11: variant 11 is XXH128)
  xxhsum -q -b11 -i1 2>&1 | tr '\r' '\n' | awk '/#XXH128/ { v = $(NF - 1); sub(/^\(/, "", v) } END { printf "%.2f", v / 1000 }'
}
bytes=$(du -sb "$corpus" | cut -f1)
warm
read_start=$(date +%s.%N)
warm
read_seconds=$(echo "$(date +%s.%N) - $read_start" | bc -l)
cores=$(nproc)
sha=$(speed sha256)
md5=$(speed md5)
xxh=$(xxh_speed)

echo
echo "corpus: $(find "$corpus" -type f | wc -l) files, $((bytes / 1048576)) MiB; $cores cores; warm page cache;" \
  "best of $repeat runs; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'machine: openssl sha256 %s GB/s, md5 %s GB/s per core; xxh128 %s GB/s (xxhsum -b, in cache); warm read (cat) %.2f GB/s\n' \
  "$sha" "$md5" "$xxh" "$(echo "$bytes / $read_seconds / 1000000000" | bc -l)"
echo
printf '%-14s %9s %9s %9s %12s %12s\n' tool wall_s cpu_s peak_MB "wall/sha256" "wall/xxh128"
for name in dupipe-sha256 dupipe-xxh128 jdupes rdfind rmlint fdupes; do
  printf '%-14s %9.2f %9.2f %9d %12.2f %12.2f\n' "$name" "${wall[$name]}" "${cpu[$name]}" "${rss[$name]}" \
    "$(echo "${wall[$name]} / ${wall[dupipe-sha256]}" | bc -l)" "$(echo "${wall[$name]} / ${wall[dupipe-xxh128]}" | bc -l)"
done
fastest=$(for name in jdupes rdfind rmlint fdupes; do echo "${wall[$name]} $name"; done | sort -n | head -1)
echo
echo "fastest other tool: ${fastest#* } (${fastest%% *} s). Goals: dupipe xxh128 <= 0.8x, sha256 <= 1.2x of it:"
printf '  xxh128 %.2fx, sha256 %.2fx\n' "$(echo "${wall[dupipe-xxh128]} / ${fastest%% *}" | bc -l)" \
  "$(echo "${wall[dupipe-sha256]} / ${fastest%% *}" | bc -l)"
hashed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"].get("bytes_hashed", 0))' "$work/dupipe-sha256/report.json")
printf '  dupipe sha256 hashed %d MiB in full: ideal %.2f s at %s GB/s x %d cores\n' "$((hashed / 1048576))" \
  "$(echo "$hashed / ($sha * 1000000000 * $cores)" | bc -l)" "$sha" "$cores"
# phase ERR_FILE: "seconds bytes" of the hashing pass, from the first group any hasher took to the
# end of the last one's input (hasher/main.cpp logs its monotonic times and bytes hashed in full).
phase() {
  sed -n 's/.*]: group pass: \([0-9]*\) bytes hashed in full, [0-9]* reopened, monotonic ns \([0-9]*\) to \([0-9]*\)$/\1 \2 \3/p' "$1" |
    awk '{ bytes += $1; first = (first == "" || $2 < first) ? $2 : first; last = ($3 > last) ? $3 : last }
      END { if (first == "") print "0 0"; else printf "%.3f %d\n", (last - first) / 1e9, bytes }'
}
for algo in sha256 xxh128; do
  read -r hash_s hash_b <<<"$(phase "$work/best-err.dupipe-$algo")"
  speed_gbs=$sha
  [[ $algo == sha256 ]] || speed_gbs=$xxh
  ideal=$(echo "$hash_b / ($speed_gbs * 1000000000 * $cores)" | bc -l)
  printf '  dupipe %s hashing pass (edges and full digests, each file opened once): %.3f s for %d MiB hashed in full;' \
    "$algo" "$hash_s" "$((hash_b / 1048576))"
  printf ' bound %.3f s at %s GB/s x %d cores: %.2fx (goal <= 1.2)\n' "$ideal" "$speed_gbs" "$cores" \
    "$(echo "$hash_s / ($ideal + 0.000001)" | bc -l)"
done
echo
echo "same groups as dupipe (sha256)?"
python3 "$root/bench/same_groups.py" "$work/dupipe-sha256/report.json" \
  "dupipe-xxh128=json:$work/dupipe-xxh128/report.json" "jdupes=blank:$work/out.jdupes" \
  "rdfind=rdfind:$work/rdfind.txt" "rmlint=blank:$work/rmlint.txt" "fdupes=blank:$work/out.fdupes"
