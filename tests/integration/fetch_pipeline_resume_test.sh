#!/usr/bin/env bash
# The whole run killed with SIGKILL (launcher and every stage) in the middle of a segmented
# download; the same command with --resume and the same OUT completes the file without fetching
# the finished ranges again, and the report holds it with the right digest.
source "$(dirname "$0")/fetch_lib.sh"
serve_fixtures
random_file big.bin 24
size=$((24 * 1024 * 1024))
echo "$base_url/_drip/1000000/big.bin" >"$work/urls.txt"
options=(--out "$work/out" --fetchers 2 --transfers 4 --per-host 4 --segments 4 --segment-threshold 1048576
  --save-interval-ms 200)

reset_stats
set -m  # its own process group, so one kill reaches the launcher and all its stages
run_pipeline "${options[@]}" "$work/urls.txt" >/dev/null 2>&1 &
set +m
group=$!
for ((i = 0; i < 300; i++)); do  # at most 15 s
  (($(stat_value body_bytes) > size * 4 / 10)) && break
  sleep 0.05
done
sleep 0.5  # a few control-file intervals
kill -KILL -- "-$group"
wait "$group" 2>/dev/null || true
first_run=$(stat_value body_bytes)
((first_run < size)) || fail "the run finished before it was killed"
compgen -G "$work/out/files/.part-*.ctl" >/dev/null || fail "no control file left: $(ls -A "$work/out/files")"
rm -rf -- "$TMPDIR"/dupipe-run.*  # what the killed launcher could not remove
"$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" --cleanup >"$work/cleanup.txt" ||
  fail "--cleanup failed"

run_pipeline "${options[@]}" --resume "$work/urls.txt" >/dev/null 2>"$work/stderr" || fail "resumed run failed: $(cat "$work/stderr")"
grep -q "resuming" "$work/stderr" || fail "nothing was resumed: $(cat "$work/stderr")"
grep -q "download concurrency: 2 fetchers x 4 transfers = 8" "$work/stderr" ||
  fail "the launcher did not show the total concurrency: $(cat "$work/stderr")"
total=$(stat_value body_bytes)
((total < size * 12 / 10)) || fail "$total bytes sent over both runs for $size (first run $first_run)"
expected=$(digest "$work/root/big.bin")
python3 - "$work/out/report.json" "$expected" <<'PY' || fail "report does not hold the resumed file"
import json, sys
report = json.load(open(sys.argv[1]))
assert report["summary"]["fetched"] == 1 and report["summary"]["failed"] == 0, report["summary"]
PY
path=$(find "$work/out/files" -name '*-big.bin')
[[ $(digest "$path") == "$expected" ]] || fail "the resumed file differs"
expect_no_part_files "$work/out/files"
