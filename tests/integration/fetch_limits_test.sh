#!/usr/bin/env bash
# Limits: an endless chunked body, a 1-byte-per-10-s tarpit and a gzip bomb all abort with at most
# --max-filesize + 64 KiB on disk and bounded fetcher memory; a too-large body (announced or
# not) and a lying Content-Length fail cleanly with no file left; a redirect loop fails with its
# reason; compressed bodies are stored as served unless --compressed.
source "$(dirname "$0")/fetch_lib.sh"
serve_fixtures
random_file big.bin 8
echo "a small file" >"$work/root/small.txt"
head -c $((256 * 1024 * 1024)) /dev/zero | gzip -c >"$work/root/bomb.gz"
limit=$((1024 * 1024))

# fetch_watched OUT [OPTIONS...] < URLS: fetch, recording the largest file ever seen in OUT
# (sampled every 20 ms) in $work/peak and the fetcher's peak RSS (KiB) in $work/rss.
fetch_watched() {
  local files=$1 peak=0 size
  mkdir -p "$files"
  shift
  /usr/bin/time -f %M -o "$work/rss" "$DUPIPE_BIN_DIR/fetcher" --files-dir "$files" \
    --retry-wait-ms 50 "$@" >"$work/records" 2>"$work/stderr" &
  local pid=$!
  for ((i = 0; i < 1500; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    size=$(find "$files" -type f -printf '%s\n' | sort -n | tail -1)
    ((${size:-0} > peak)) && peak=$size
    sleep 0.02
  done
  wait "$pid" || fail "fetcher exited $?"
  echo "$peak" >"$work/peak"
}

expect_bounded() {
  local peak rss
  peak=$(<"$work/peak") rss=$(<"$work/rss")
  ((peak <= limit + 65536)) || fail "$1: $peak bytes on disk with --max-filesize $limit"
  ((rss < 64 * 1024)) || fail "$1: fetcher used $rss KiB of memory"
}

echo "$base_url/_endless" | fetch_watched "$work/f1" --max-filesize "$limit"
expect_failure /_endless "exceeds --max-filesize \\($limit bytes\\)"
expect_bounded endless
expect_no_part_files "$work/f1"

start=$SECONDS
echo "$base_url/_tarpit/10000/small.txt" | fetch_watched "$work/f2" --max-filesize "$limit" \
  --min-speed 100 --min-speed-time 2 --retries 0
expect_failure /_tarpit/10000/small.txt "Timeout|too slow"
((SECONDS - start < 20)) || fail "the tarpit held the fetcher for $((SECONDS - start)) s"
expect_bounded tarpit
expect_no_part_files "$work/f2"

echo "$base_url/_gzip/bomb.gz" | fetch_watched "$work/f3" --max-filesize "$limit" --compressed
expect_failure /_gzip/bomb.gz "exceeds --max-filesize"
expect_bounded "gzip bomb"
expect_no_part_files "$work/f3"

# Without --compressed nothing is decoded: the file is the gzip stream as served.
echo "$base_url/_gzip/bomb.gz" | fetch "$work/f4" --max-filesize "$limit"
expect_file /_gzip/bomb.gz "$work/root/bomb.gz"

{
  echo "$base_url/big.bin"
  echo "$base_url/_nolength/big.bin"
  echo "$base_url/_reset/100000/big.bin"
  echo "$base_url/_redirect_loop"
  echo "$base_url/_redirect/3/big.bin"
} | fetch "$work/f5" --max-filesize "$limit" --retries 1
expect_failure /big.bin "exceeds --max-filesize"
expect_failure /_nolength/big.bin "exceeds --max-filesize"
expect_failure /_reset/100000/big.bin "partial|exceeds"
expect_failure /_redirect_loop "redirect"
expect_failure /_redirect/3/big.bin "exceeds --max-filesize"
[[ -z $(ls -A "$work/f5") ]] || fail "files left after failures: $(ls -A "$work/f5")"

# The lying length again, without a size limit in the way: retried, then a clean failure.
echo "$base_url/_reset/100000/big.bin" | fetch "$work/f6" --retries 2 --segments 1
expect_failure /_reset/100000/big.bin "partial.*3 attempts"
[[ -z $(ls -A "$work/f6") ]] || fail "files left after a lying Content-Length: $(ls -A "$work/f6")"

# Redirects: at most 10 are followed, and only to http or https.
{
  echo "$base_url/_redirect/10/small.txt"
  echo "$base_url/_redirect/11/small.txt"
  echo "$base_url/_location?to=file:///etc/passwd"
  echo "$base_url/_location?to=ftp://127.0.0.1/x"
} | fetch "$work/f7"
expect_file /_redirect/10/small.txt "$work/root/small.txt"
expect_failure /_redirect/11/small.txt "redirect"
expect_failure "/_location?to=file:///etc/passwd" "[Pp]rotocol"
expect_failure "/_location?to=ftp://127.0.0.1/x" "[Pp]rotocol"
[[ $(ls -A "$work/f7" | wc -l) -eq 1 ]] || fail "files left after refused redirects: $(ls -A "$work/f7")"
