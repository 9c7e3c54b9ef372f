#!/usr/bin/env bash
# Resume: a fetcher killed with SIGKILL mid-download leaves its part file and control file; run
# again with --resume it completes the file without fetching finished ranges again (server-side
# byte count over both runs below 1.2 x the size). A changed file (new ETag) restarts from zero;
# a complete part file is confirmed by a 416 without any body; without --resume it restarts.
source "$(dirname "$0")/fetch_lib.sh"
serve_fixtures
random_file big.bin 24
size=$((24 * 1024 * 1024))
url=$base_url/_drip/3000000/big.bin
options=(--segments 4 --transfers 4 --per-host 4 --segment-threshold 1048576 --save-interval-ms 100)

# start_and_kill OUT [SIGNAL]: starts a download of $url and kills it (SIGKILL unless told) once
# about 40% is on disk.
start_and_kill() {
  local signal=${2:-KILL}
  mkdir -p "$1"
  echo "$url" | "$DUPIPE_BIN_DIR/fetcher" --files-dir "$1" "${options[@]}" >/dev/null 2>&1 &
  local pid=$! i written
  for ((i = 0; i < 300; i++)); do  # at most 15 s
    written=$(stat_value body_bytes)
    ((written > size * 4 / 10)) && break
    sleep 0.05
  done
  kill "-$signal" "$pid"
  wait "$pid" 2>/dev/null || true
  compgen -G "$1/.part-*.ctl" >/dev/null || fail "no control file in $1 after SIG$signal: $(ls -A "$1")"
}

reset_stats
start_and_kill "$work/f1"
first_run=$(stat_value body_bytes)
((first_run < size)) || fail "the first run finished before it was killed ($first_run bytes)"
echo "$url" | fetch "$work/f1" "${options[@]}" --resume
expect_file /_drip/3000000/big.bin "$work/root/big.bin"
total=$(stat_value body_bytes)
((total < size * 12 / 10)) || fail "$total bytes sent over both runs for $size (first run $first_run)"
grep -q "resuming" "$work/stderr" || fail "the second run did not resume: $(cat "$work/stderr")"
expect_no_part_files "$work/f1"

# The file changes on the server between the runs: its ETag changes, the download restarts.
reset_stats
start_and_kill "$work/f2"
random_file big.bin 24
echo "$url" | fetch "$work/f2" "${options[@]}" --resume
expect_file /_drip/3000000/big.bin "$work/root/big.bin"
grep -q "changed on the server.*starting again from zero" "$work/stderr" ||
  fail "no restart after the ETag changed: $(cat "$work/stderr")"
expect_no_part_files "$work/f2"

# Killed after the last range was written and saved: the resume only confirms it (416).
reset_stats
start_and_kill "$work/f3"
part=$(compgen -G "$work/f3/.part-*.ctl")
part=${part%.ctl}
cp "$work/root/big.bin" "$part"
etag=$(curl -sI "$base_url/big.bin" | tr -d '\r' | awk 'tolower($1) == "etag:" { print $2 }')
printf 'dupipe-control 1\nurl %s\nlength %s\netag %s\nlast-modified x\nsegment 0 %s %s\n' \
  "$url" "$size" "$etag" "$size" "$size" >"$part.ctl"
reset_stats
echo "$url" | fetch "$work/f3" "${options[@]}" --resume
expect_file /_drip/3000000/big.bin "$work/root/big.bin"
[[ $(stat_value body_bytes) -eq 0 ]] || fail "a complete file was downloaded again"
[[ $(stat_value requests) -eq 1 ]] || fail "expected one confirming request, saw $(stat_value requests)"

# SIGTERM (as the launcher sends on Ctrl-C) saves the control file and keeps the part file.
reset_stats
start_and_kill "$work/f5" TERM
echo "$url" | fetch "$work/f5" "${options[@]}" --resume
expect_file /_drip/3000000/big.bin "$work/root/big.bin"
grep -q "resuming" "$work/stderr" || fail "nothing resumed after SIGTERM: $(cat "$work/stderr")"
(($(stat_value body_bytes) < size * 12 / 10)) || fail "$(stat_value body_bytes) bytes sent after SIGTERM"

# Without --resume a leftover part file is ignored and overwritten.
reset_stats
start_and_kill "$work/f4"
echo "$url" | fetch "$work/f4" "${options[@]}"
expect_file /_drip/3000000/big.bin "$work/root/big.bin"
expect_no_part_files "$work/f4"
