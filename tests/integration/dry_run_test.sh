#!/usr/bin/env bash
# `run_pipeline.sh --dry-run` prints the topology a run would start — every link with its
# transport, writers and readers, every process with its command line — for every mode, and
# creates nothing (no run directory, no segment, no output directory).
source "$(dirname "$0")/harness.sh"
script=$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh
bin=$(cd "$DUPIPE_BIN_DIR" && pwd -P)

check() {  # check NAME EXPECTED_FILE ARGS...: the dry run's stdout, with the paths made generic
  local name=$1 expected=$2
  shift 2
  "$script" --bin-dir "$DUPIPE_BIN_DIR" --dry-run "$@" >"$work/$name.out" 2>"$work/$name.err" ||
    fail "$name: the dry run failed: $(cat "$work/$name.err")"
  sed -e "s|$bin|BIN|g" -e "s|$work|WORK|g" "$work/$name.out" >"$work/$name.got"
  diff -u "$expected" "$work/$name.got" || fail "$name: the dry run printed another topology"
  [[ ! -s $work/$name.err ]] || fail "$name: the dry run wrote to stderr: $(cat "$work/$name.err")"
}

cat >"$work/url.expected" <<'TEXT'
run directory: RUN_DIR, made at start under ${TMPDIR:-/tmp} (mode 0700), holding the FIFOs (0600), pids, links, pass and stats
mode: url; a dead process is restarted, what it held re-fed
links:
  urls: shm /dev/shm/dupipe-dry-urls; writers producer; readers fetcher x2
  paths: fifo RUN_DIR/paths; writers fetcher x2; readers hasher x3
  digests: shm /dev/shm/dupipe-dry-digests; writers hasher x3; readers aggregator
processes (in start order):
  producer: BIN/producer --skip-done WORK/out/.dupipe/journal --manifest WORK/out/.dupipe/manifest --fetched WORK/out/.dupipe/fetched WORK/out/.dupipe/urls --out shm:dupipe-dry-urls
  fetcher: BIN/fetcher --timeout 5 --transfers 3 --journal WORK/out/.dupipe/fetched --files-dir WORK/out/files --in shm:dupipe-dry-urls --out packet:RUN_DIR/paths
  fetcher: BIN/fetcher --timeout 5 --transfers 3 --journal WORK/out/.dupipe/fetched --files-dir WORK/out/files --in shm:dupipe-dry-urls --out packet:RUN_DIR/paths
  hasher: BIN/hasher --algo xxh128 --out shm:dupipe-dry-digests < RUN_DIR/paths
  hasher: BIN/hasher --algo xxh128 --out shm:dupipe-dry-digests < RUN_DIR/paths
  hasher: BIN/hasher --algo xxh128 --out shm:dupipe-dry-digests < RUN_DIR/paths
  aggregator: BIN/aggregator --out WORK/out --algo xxh128 --journal WORK/out/.dupipe/journal --manifest WORK/out/.dupipe/manifest --in shm:dupipe-dry-digests
restarts: at most 4 per role within 30 s, after 100 ms doubling to 2 s; re-feed passes: at most 3
stop: SIGTERM once to each stage, SIGKILL to what still runs 5 s later
TEXT
echo "http://127.0.0.1:1/x" >"$work/urls.txt"
check url "$work/url.expected" --fetchers 2 --hashers 3 --transfers 3 --timeout 5 --algo xxh128 \
  --transport shm --link paths=fifo --run-id dry --max-restarts 4 --restart-period 30 --out "$work/out" "$work/urls.txt"

cat >"$work/standin.expected" <<'TEXT'
run directory: RUN_DIR, made at start under ${TMPDIR:-/tmp} (mode 0700), holding the FIFOs (0600), pids, links, pass and stats
mode: url; a dead process is restarted, what it held re-fed
links:
  urls: fifo RUN_DIR/urls; writers producer; readers fetcher
  paths: fifo RUN_DIR/paths (byte stream); writers fetcher; readers hasher
  digests: fifo RUN_DIR/digests (byte stream); writers hasher; readers aggregator
processes (in start order):
  producer: bash -c cat < WORK/out/.dupipe/urls > RUN_DIR/urls  (not restarted)
  fetcher: BIN/fetcher --journal WORK/out/.dupipe/fetched --files-dir WORK/out/files --out fifo:RUN_DIR/paths < RUN_DIR/urls
  hasher: bash -c 'my-hasher --algo "$DUPIPE_ALGO"' < RUN_DIR/paths > RUN_DIR/digests  (not restarted)
  aggregator: BIN/aggregator --out WORK/out --algo sha256 --journal WORK/out/.dupipe/journal --lost-are-failures < RUN_DIR/digests
restarts: at most 5 per role within 10 s, after 100 ms doubling to 2 s; re-feed passes: at most 0
stop: SIGTERM once to each stage, SIGKILL to what still runs 5 s later
TEXT
check standin "$work/standin.expected" --fetchers 1 --hashers 1 --refeeds 0 --producer-cmd cat \
  --hasher-cmd 'my-hasher --algo "$DUPIPE_ALGO"' --out "$work/out" "$work/urls.txt"

mkdir -p "$work/tree"
cat >"$work/dir.expected" <<'TEXT'
run directory: RUN_DIR, made at start under ${TMPDIR:-/tmp} (mode 0700), holding the FIFOs (0600), pids, links, pass and stats
mode: directory; a dead process restarts the pass
links:
  walked: fifo RUN_DIR/walked; writers walker; readers grouper
  sized.0: shm /dev/shm/dupipe-dry-sized.0; writers grouper; readers hasher
  sized.1: shm /dev/shm/dupipe-dry-sized.1; writers grouper; readers hasher
  digests: fifo RUN_DIR/digests; writers hasher x2; readers aggregator
processes (in start order):
  walker: BIN/walker --follow-links --out packet:RUN_DIR/walked -- WORK/tree WORK/tree
  grouper: BIN/grouper --include-empty --out shm:dupipe-dry-sized.0 --out shm:dupipe-dry-sized.1 < RUN_DIR/walked
  hasher: BIN/hasher --mode group --algo sha256 --out packet:RUN_DIR/digests --in shm:dupipe-dry-sized.0
  hasher: BIN/hasher --mode group --algo sha256 --out packet:RUN_DIR/digests --in shm:dupipe-dry-sized.1
  aggregator: BIN/aggregator --directory --algo sha256 --verify --format csv --out WORK/dout < RUN_DIR/digests
restarts: at most 5 per role within 10 s, after 100 ms doubling to 2 s
stop: SIGTERM once to each stage, SIGKILL to what still runs 5 s later
TEXT
check dir "$work/dir.expected" --hashers 2 --run-id dry --link sized=shm --verify --format csv \
  --include-empty --follow-links --dir "$work/tree" --dir "$work/tree" --out "$work/dout"

cat >"$work/crawl.expected" <<'TEXT'
run directory: RUN_DIR, made at start under ${TMPDIR:-/tmp} (mode 0700), holding the FIFOs (0600), pids, links, pass and stats
mode: crawl; a dead process is restarted, a fetcher's pages start again
links:
  urls: fifo RUN_DIR/urls; writers producer; readers fetcher x2
  paths: fifo RUN_DIR/paths; writers fetcher x2; readers hasher
  digests: fifo RUN_DIR/digests (byte stream); writers hasher; readers aggregator
  found: shm /dev/shm/dupipe-dry-found; writers fetcher x2; readers producer
when a fetcher dies: SIGUSR1 to the producer
processes (in start order):
  producer: BIN/producer --depth 2 --per-host 7 --insecure --manifest WORK/out/.dupipe/manifest --crawl-state WORK/out/.dupipe/crawl.json --crawl-journal WORK/out/.dupipe/crawl.journal --feedback-journal WORK/out/.dupipe/found.journal --launch-id dry --links-in shm:dupipe-dry-found WORK/out/.dupipe/seeds --out packet:RUN_DIR/urls
  fetcher: BIN/fetcher --per-host 7 --insecure --files-dir WORK/out/files --out packet:RUN_DIR/paths --links-out shm:dupipe-dry-found --links-journal WORK/out/.dupipe/found.journal < RUN_DIR/urls
  fetcher: BIN/fetcher --per-host 7 --insecure --files-dir WORK/out/files --out packet:RUN_DIR/paths --links-out shm:dupipe-dry-found --links-journal WORK/out/.dupipe/found.journal < RUN_DIR/urls
  hasher: BIN/hasher --algo sha256 --out fifo:RUN_DIR/digests < RUN_DIR/paths
  aggregator: BIN/aggregator --out WORK/out --algo sha256 --journal WORK/out/.dupipe/journal --manifest WORK/out/.dupipe/manifest --crawl-state WORK/out/.dupipe/crawl.json < RUN_DIR/digests
restarts: at most 5 per role within 10 s, after 100 ms doubling to 2 s; re-feed passes: at most 3
stop: SIGTERM once to each stage, SIGKILL to what still runs 5 s later
TEXT
# The crawl: the found link back to the producer, the death notice, --per-host for the whole run,
# --insecure for the producer's own robots.txt and sitemap fetches too.
check crawl "$work/crawl.expected" --crawl --fetchers 2 --hashers 1 --per-host 3 --per-host 7 \
  --depth 2 --insecure --link found=shm --run-id dry --out "$work/out" "$work/urls.txt"

[[ ! -e $work/out && ! -e $work/dout ]] || fail "the dry run created the output directory"
expect_no_leftovers
echo ok
