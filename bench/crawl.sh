#!/usr/bin/env bash
# bench/crawl.sh: crawl mode side by side with wget2 -r and wget -r, in one run, against the same
# loopback server. Not a timed test: it prints a table of seconds and ratios (docs/CRAWL.md keeps
# the figures), each crawl checked complete (every URL of the site fetched once).
#   a. a generated site of 400 pages in a tree with cross links and cycles, 4 assets each (2,000
#      URLs, a quarter of the assets duplicates), behind bench/latency_relay.py (one round trip of
#      RTT per request), 16 requests at a time: dupipe --crawl --per-host 16 against wget2 -r
#      --max-threads=16 and wget -r (one at a time); also dupipe with its defaults (--per-host 4);
#      the latency bound is URLs / 16 x RTT.
#   b. the same site, every connection capped (nginx limit_rate), with a large file linked from
#      the first page and a copy of it from the last: dupipe fetches it in ranges, wget2 over one
#      connection; the two must be reported as duplicates.
# Installs nginx and wget2 from Debian when missing (as root). Needs the build (build/bin).
# Usage: bench/crawl.sh [--rtt-ms MS] [--big-mib M] [--cap-mbs R] [--no-wget] [--dir DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/lib/setup.sh
source "$root/scripts/lib/setup.sh"
# shellcheck source=../bench/lib.sh
source "$root/bench/lib.sh"

rtt_ms=40 big_mib=1024 cap_mbs=50 with_wget=1 base_dir=${TMPDIR:-/tmp}
while [[ $# -gt 0 ]]; do
  case $1 in
    --rtt-ms) rtt_ms=$2; shift 2 ;;
    --big-mib) big_mib=$2; shift 2 ;;
    --cap-mbs) cap_mbs=$2; shift 2 ;;
    --no-wget) with_wget=0; shift ;;
    --dir) base_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "crawl.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
bin=$root/build/bin
[[ -x $bin/dupipe-supervise ]] || { echo "build first: scripts/test.sh --release" >&2; exit 2; }
ensure_packages nginx wget2 wget python3

bench_workdir "$base_dir" dupipe-crawl-bench

# --- the site -------------------------------------------------------------------------------
# make_site DIR BIG: 400 pages, page i linking to its children 4i+1..4i+4, its parent, the first
# page and one page across the tree; 4 assets each, 1,200 distinct contents among the 1,600. With
# BIG, the first page links to big.bin and the last to copy/big.bin (the same bytes).
make_site() {
  python3 - "$1" "$2" <<'PY'
import os, random, sys
root, big = sys.argv[1], sys.argv[2] == "1"
random.seed(7)
os.makedirs(os.path.join(root, "a"), exist_ok=True)
pool = [os.urandom(random.randint(16, 64) * 1024) for _ in range(1200)]
pages = 400
for i in range(pages):
    links = [f"p{c}.html" for c in range(4 * i + 1, 4 * i + 5) if c < pages]
    links += [f"p{(i - 1) // 4}.html" if i else "p0.html", "p0.html", f"p{(i * 7 + 3) % pages}.html"]
    assets = []
    for k in range(4):
        name = f"a/{i}-{k}.bin"
        with open(os.path.join(root, name), "wb") as out:
            out.write(pool[(i * 4 + k) % len(pool)])
        assets.append(name)
    if big and i == 0:
        assets.append("big.bin")
    if big and i == pages - 1:
        assets.append("copy/big.bin")
    body = "".join(f'<a href="{l}">{l}</a>\n' for l in links)
    body += "".join(f'<img src="{a}">\n' for a in assets)
    with open(os.path.join(root, f"p{i}.html"), "w") as out:
        out.write(f"<html><body><h1>page {i}</h1>\n{body}</body></html>\n")
PY
}
urls_of_site() { find "$1" -type f | wc -l; }

log "making the sites in $work"
make_site "$work/site" 0
make_site "$work/big-site" 1
mkdir -p "$work/big-site/copy"
head -c "$((big_mib * 1024 * 1024))" /dev/urandom >"$work/big-site/big.bin"
cp "$work/big-site/big.bin" "$work/big-site/copy/big.bin"
site_urls=$(urls_of_site "$work/site")
big_urls=$(urls_of_site "$work/big-site")

nginx_port=$(free_port)
write_nginx_conf <<NGINX
  include /etc/nginx/mime.types;
  server {
    listen 127.0.0.1:$nginx_port;
    location /site/ { alias $work/site/; }
    location /big/ { alias $work/big-site/; limit_rate ${cap_mbs}m; }
  }
NGINX
start_nginx "http://127.0.0.1:$nginx_port/site/p0.html"
start_relay "$nginx_port" "$rtt_ms"
echo "http://127.0.0.1:$relay_port/site/p0.html" >"$work/site.seeds"
echo "http://127.0.0.1:$nginx_port/big/p0.html" >"$work/big.seeds"

declare -A seconds=()
# run NAME COMMAND...: times COMMAND once (stdin /dev/null, output in $work/NAME.log).
run() {
  local name=$1 start
  shift
  sync
  start=$(now)
  "$@" </dev/null >"$work/$name.log" 2>&1 || log "$name exited $? ($(tail -2 "$work/$name.log" | tr '\n' ' '))"
  seconds[$name]=$(elapsed "$start")
  log "$name: ${seconds[$name]} s"
}
# The files a wget-style crawl saved (its robots.txt answer aside).
saved_files() { find "$1" -type f ! -name robots.txt ! -name 'robots.txt.*' | wc -l; }
# dupipe's report: fetched URLs, and whether the large file and its copy are one group.
report_fetched() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['fetched'])" "$1/report.json"; }
big_is_grouped() {
  python3 - "$1/report.json" <<'PY'
import json, sys
groups = json.load(open(sys.argv[1]))["groups"]
print("yes" if any(sorted(f["url"].rsplit("/big/", 1)[1] for f in g["files"]) == ["big.bin", "copy/big.bin"]
                   for g in groups) else "no")
PY
}
check() {  # check NAME GOT WANTED
  if [[ $2 -ne $3 ]]; then log "$1 INCOMPLETE: $2 of $3 URLs"; seconds[$1]="${seconds[$1]} (incomplete)"; fi
}
launcher=("$root/scripts/run_pipeline.sh" --bin-dir "$bin" --crawl --depth 20)

# --- a. many small files behind a round trip ------------------------------------------------
log "a: $site_urls URLs, ${rtt_ms} ms per request, 16 at a time"
run dupipe_a "${launcher[@]}" --per-host 16 --fetchers 2 --transfers 8 --out "$work/dupipe_a" "$work/site.seeds"
check dupipe_a "$(report_fetched "$work/dupipe_a")" "$site_urls"
run dupipe_default_a "${launcher[@]}" --out "$work/dupipe_default_a" "$work/site.seeds"
check dupipe_default_a "$(report_fetched "$work/dupipe_default_a")" "$site_urls"
run wget2_a wget2 -r -l 20 --max-threads=16 -nv -P "$work/wget2_a" "$(cat "$work/site.seeds")"
check wget2_a "$(saved_files "$work/wget2_a")" "$site_urls"
if ((with_wget)); then
  run wget_a wget -r -l 20 -nv -P "$work/wget_a" "$(cat "$work/site.seeds")"
  check wget_a "$(saved_files "$work/wget_a")" "$site_urls"
fi
bound=$(python3 -c "print(f'{$site_urls / 16 * $rtt_ms / 1000:.2f}')")

# --- b. the same site with a large file and its copy, connections capped ---------------------
log "b: $big_urls URLs, two of $big_mib MiB, every connection capped at $cap_mbs MB/s"
run dupipe_b "${launcher[@]}" --per-host 16 --fetchers 2 --transfers 8 --segments 16 \
  --out "$work/dupipe_b" "$work/big.seeds"
check dupipe_b "$(report_fetched "$work/dupipe_b")" "$big_urls"
grouped=$(big_is_grouped "$work/dupipe_b")
run wget2_b wget2 -r -l 20 --max-threads=16 -nv -P "$work/wget2_b" "$(cat "$work/big.seeds")"
check wget2_b "$(saved_files "$work/wget2_b")" "$big_urls"

echo
echo "| crawl | dupipe --per-host 16 | dupipe defaults (--per-host 4) | wget2 --max-threads=16 | wget | latency bound |"
echo "|---|---|---|---|---|---|"
echo "| a. $site_urls URLs, ${rtt_ms} ms RTT | ${seconds[dupipe_a]} s | ${seconds[dupipe_default_a]} s | ${seconds[wget2_a]} s | ${seconds[wget_a]:-not run} s | $bound s |"
echo "| b. + 2 x $big_mib MiB, $cap_mbs MB/s per connection | ${seconds[dupipe_b]} s | | ${seconds[wget2_b]} s | | |"
echo
a_bound=$(ratio "${seconds[dupipe_a]%% *}" "$bound")
a_wget2=$(ratio "${seconds[wget2_a]%% *}" "${seconds[dupipe_a]%% *}")
b_wget2=$(ratio "${seconds[wget2_b]%% *}" "${seconds[dupipe_b]%% *}")
echo "a: dupipe at ${a_bound}x the latency bound; wget2 takes ${a_wget2}x dupipe's time"
echo "b: wget2 takes ${b_wget2}x dupipe's time; the large file and its copy grouped: $grouped"
