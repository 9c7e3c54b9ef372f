#!/usr/bin/env bash
# Retries: each transient failure (503 and 429 with Retry-After, 500, a connection dropped
# mid-body, connection refused, a timeout: low-speed abort or --timeout) is retried and then
# succeeds, or fails listing its attempts; permanent ones (404, other 4xx) are tried once. The
# per-host cap bounds concurrency, and connections are reused.
source "$(dirname "$0")/fetch_lib.sh"
serve_fixtures
random_file mid.bin 2
echo "retry me" >"$work/root/a.txt"

reset_stats
start=$SECONDS
{
  echo "$base_url/_fail/2/503/a.txt"
  echo "$base_url/_fail/2/429/a.txt"
  echo "$base_url/_fail/3/500/a.txt"
  echo "$base_url/_fail/2/0/mid.bin"
} | fetch "$work/f1" --retries 3
expect_file /_fail/2/503/a.txt "$work/root/a.txt"
expect_file /_fail/2/429/a.txt "$work/root/a.txt"
expect_file /_fail/3/500/a.txt "$work/root/a.txt"
expect_file /_fail/2/0/mid.bin "$work/root/mid.bin"
# Retry-After: 1 is a minimum: two waits of at least 1 s each for the 503 and the 429 URLs.
((SECONDS - start >= 2)) || fail "Retry-After was not honoured: done in $((SECONDS - start)) s"
# 3 + 3 + 4 requests for the status URLs, 3 for the dropped one (the last two continue the range).
[[ $(stat_value requests) -eq 13 ]] || fail "expected 13 requests, server saw $(stat_value requests)"

reset_stats
{
  echo "$base_url/_fail/9/503/a.txt"
  echo "$base_url/_status/404"
  echo "$base_url/_status/403"
  echo "http://127.0.0.1:1/refused"
} | fetch "$work/f2" --retries 2 --retry-max-wait-ms 200
expect_failure /_fail/9/503/a.txt "^HTTP 503 \\(after 3 attempts\\)$"
expect_failure /_status/404 "^HTTP 404$"
expect_failure /_status/403 "^HTTP 403$"
grep -P '\thttp://127.0.0.1:1/refused\tfetcher\t.*connect.*\(after 3 attempts\)$' "$work/records" >/dev/null ||
  fail "refused connection not retried: $(cat "$work/records")"
# 3 attempts of the 503, one each for the permanent statuses.
[[ $(stat_value requests) -eq 5 ]] || fail "expected 5 requests, server saw $(stat_value requests)"
expect_no_part_files "$work/f2"

# Timeouts are transient too: a stalled body (the server sends one byte per second) trips the
# low-speed abort or the whole-transfer --timeout, is retried, then succeeds or fails listing the
# attempts.
reset_stats
{
  echo "$base_url/_fail/2/1/a.txt"
  echo "$base_url/_fail/9/1/mid.bin"
} | fetch "$work/f5" --retries 2 --min-speed 100 --min-speed-time 1 --retry-max-wait-ms 200
expect_file /_fail/2/1/a.txt "$work/root/a.txt"
expect_failure /_fail/9/1/mid.bin "^Timeout was reached: Operation too slow.*\\(after 3 attempts\\)$"
[[ $(stat_value requests) -eq 6 ]] || fail "expected 3 + 3 requests for the stalled URLs, server saw $(stat_value requests)"
expect_no_part_files "$work/f5"
reset_stats
{
  echo "$base_url/_fail/1/1/a.txt?whole"
  echo "$base_url/_fail/9/1/a.txt?whole"
} | fetch "$work/f6" --retries 1 --timeout 1 --retry-max-wait-ms 200
expect_file "/_fail/1/1/a.txt?whole" "$work/root/a.txt"
# Both attempts' causes are listed, as one when they differ only in curl's elapsed time (or bytes
# received: the server may have sent its first byte before the second timeout).
expect_failure "/_fail/9/1/a.txt?whole" "^Timeout was reached: Operation timed out .*(\\(after 2 attempts\\)|\\(2 attempts: .*\\))$"
[[ $(stat_value requests) -eq 4 ]] || fail "expected 2 + 2 requests for --timeout, server saw $(stat_value requests)"

# 16 half-second answers, at most 4 at a time to one host: no faster than 4 rounds.
for i in $(seq 1 16); do echo "$base_url/_slow/500/a.txt?copy=$i"; done >"$work/slow.txt"
reset_stats
start=$(date +%s%N)
fetch "$work/f3" --transfers 8 --per-host 4 <"$work/slow.txt"
capped_ms=$((($(date +%s%N) - start) / 1000000))
# Connections are reused: 16 requests over at most 4 connections (client ports the server saw).
(($(stat_value connections) <= 4)) || fail "16 requests used $(stat_value connections) connections with --per-host 4"
start=$(date +%s%N)
fetch "$work/f4" --transfers 16 --per-host 16 <"$work/slow.txt"
open_ms=$((($(date +%s%N) - start) / 1000000))
[[ $(grep -c '^P' "$work/records") -eq 16 ]] || fail "not every slow URL was fetched"
((capped_ms >= 1900)) || fail "--per-host 4 fetched 16 slow URLs in $capped_ms ms (< 4 rounds)"
((open_ms < capped_ms)) || fail "--per-host 16 ($open_ms ms) was not faster than 4 ($capped_ms ms)"
