#!/usr/bin/env bash
# Segmented downloads: a 64 MiB file arrives byte-identical over S parallel ranges (counted by the
# server), and every lying server ends in a byte-exact file: Range ignored (200 + full body), 200
# with a Content-Range, a 206 starting before the requested offset, 206s shorter than asked, a
# connection dropped mid-body. Small files are not split; an empty file works.
source "$(dirname "$0")/fetch_lib.sh"
serve_fixtures
random_file big.bin 64
random_file mid.bin 12
echo small >"$work/root/small.txt"
: >"$work/root/empty.txt"

# 8 segments on 8 connections, each capped at 2.5 MB/s so that every range takes over 3 s: even a
# connection set up late on a loaded machine overlaps the others. (At 10 MB/s a range took 0.8 s,
# and under load the probe's range could end before the last range had started: only 6 at once.)
reset_stats
echo "$base_url/_drip/2500000/big.bin" | fetch "$work/files" --segments 8 --transfers 8 --per-host 8
expect_file /_drip/2500000/big.bin "$work/root/big.bin"
ranged=$(stat_value ranged) active=$(stat_value max_active) sent=$(stat_value body_bytes)
[[ $ranged -ge 8 ]] || fail "only $ranged range requests for 8 segments"
[[ $active -ge 8 ]] || fail "at most $active bodies were sent at once, expected 8"
[[ $sent -lt $((64 * 1024 * 1024 * 11 / 10)) ]] || fail "$sent bytes sent for a 64 MiB file"

# --segments alone: the ranges of one file are transfers to one host, and --per-host (default 6)
# and --transfers (default 8) are raised to match instead of quietly capping them.
reset_stats
echo "$base_url/_drip/2500000/big.bin" | fetch "$work/files3" --segments 12
expect_file /_drip/2500000/big.bin "$work/root/big.bin"
active=$(stat_value max_active)
[[ $active -ge 12 ]] || fail "--segments 12 alone: at most $active bodies at once, expected 12"
grep -q -- '--per-host 6 raised to 12 for --segments 12' "$work/stderr" ||
  fail "no note of the raised --per-host: $(cat "$work/stderr")"
# A --per-host the user gave binds, and the fetcher says so.
echo "$base_url/small.txt" | fetch "$work/files4" --segments 12 --per-host 4
grep -q -- 'warning: --segments 12: a file is fetched over at most 4 connections (--per-host 4)' \
  "$work/stderr" || fail "no warning of the binding --per-host: $(cat "$work/stderr")"

reset_stats
{
  echo "$base_url/_norange/mid.bin"
  echo "$base_url/_cr200/mid.bin"
  echo "$base_url/_early/5000/mid.bin"
  echo "$base_url/_short206/1000000/mid.bin"
  echo "$base_url/_fail/2/0/mid.bin"
  echo "$base_url/small.txt"
  echo "$base_url/empty.txt"
} | fetch "$work/files2" --segments 4 --transfers 8 --per-host 8 --segment-threshold 4000000
for name in _norange/mid.bin _cr200/mid.bin _early/5000/mid.bin _short206/1000000/mid.bin _fail/2/0/mid.bin; do
  expect_file "/$name" "$work/root/mid.bin"
done
expect_file /small.txt "$work/root/small.txt"
expect_file /empty.txt "$work/root/empty.txt"
expect_no_part_files "$work/files"
expect_no_part_files "$work/files2"
expect_no_part_files "$work/files3"
[[ $(wc -l <"$work/records") -eq 7 ]] || fail "expected 7 records: $(cat "$work/records")"
