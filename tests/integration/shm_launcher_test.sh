#!/usr/bin/env bash
# The launcher's shared-memory links: it reports each link's transport, creates its segments
# with mode 0600, refuses to run when a segment with the run's name already exists (leaving that
# segment alone), and after a run killed with SIGKILL `--cleanup` removes exactly the segments
# whose owning run is dead.
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
corpus_urls "$work/corpus" "$base_url" >"$work/urls.txt"
script=$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh

# 1. A pre-existing segment with the run's name: refusal, and the intruder's segment untouched.
intruder=/dev/shm/dupipe-$test_run_id-x-paths
printf 'not ours' >"$intruder"
chmod 0600 "$intruder"
status=0
"$script" --bin-dir "$DUPIPE_BIN_DIR" --transport shm --run-id "$test_run_id-x" --out "$work/out" \
  "$work/urls.txt" >/dev/null 2>"$work/stderr" || status=$?
[[ $status -eq 1 ]] || fail "exit status $status with a pre-existing segment, expected 1"
grep -q "cannot create shared-memory segment $intruder" "$work/stderr" || fail "no clear refusal: $(cat "$work/stderr")"
grep -qi "exists" "$work/stderr" || fail "the refusal does not say the name exists: $(cat "$work/stderr")"
[[ $(cat "$intruder") == 'not ours' ]] || fail "the pre-existing segment was changed or removed"
[[ ! -e /dev/shm/dupipe-$test_run_id-x-urls ]] || fail "the run's own urls segment was left behind"
rm -f -- "$intruder"
expect_no_leftovers

# 2. A slow run over shm: every link reported, segments 0600 while it runs.
for i in 1 2 3; do echo "$base_url/_drip/1500/images/photo.jpg?copy=$i"; done >"$work/slow.txt"
set -m
"$script" --bin-dir "$DUPIPE_BIN_DIR" --transport shm --run-id "$test_run_id-k" --out "$work/out" \
  --fetchers 2 "$work/slow.txt" >/dev/null 2>"$work/stderr" &
set +m
launcher_pid=$!
for ((i = 0; i < 100; i++)); do
  [[ $(test_segments | wc -l) -eq 4 ]] && grep -q 'links:' "$work/stderr" && break
  sleep 0.1
done
for link in urls paths digests; do
  grep -q "$link=shm (/dev/shm/dupipe-$test_run_id-k-$link" "$work/stderr" || fail "link $link not reported: $(cat "$work/stderr")"
  mode=$(stat -c %a "/dev/shm/dupipe-$test_run_id-k-$link") || fail "segment for $link missing"
  [[ $mode == 600 ]] || fail "segment for $link has mode $mode"
done

# 3. SIGKILL to the whole run (launcher and stages): its segments stay until --cleanup, which
# keeps a segment whose owner is alive.
kill -KILL -- "-$launcher_pid"
wait "$launcher_pid" 2>/dev/null || true
sleep 1 &
live_owner=$!
"$DUPIPE_BIN_DIR/dupipe-shm" create "dupipe-$test_run_id-live" --owner-pid "$live_owner" || fail "create"
[[ $(test_segments | wc -l) -eq 5 ]] ||
  fail "expected the killed run's 3 links and stats area, and 1 live segment: $(test_segments)"
"$script" --bin-dir "$DUPIPE_BIN_DIR" --cleanup >"$work/cleanup.txt" || fail "--cleanup exited $?"
grep -q "dupipe-$test_run_id-k-urls: stale (owner pid $launcher_pid is gone): removed" "$work/cleanup.txt" ||
  fail "cleanup did not report the stale segment: $(cat "$work/cleanup.txt")"
grep -q "dupipe-$test_run_id-k-stats: stale (owner pid $launcher_pid is gone): removed" "$work/cleanup.txt" ||
  fail "cleanup did not remove the killed run's stats area: $(cat "$work/cleanup.txt")"
grep -q "dupipe-$test_run_id-live: in use" "$work/cleanup.txt" || fail "live segment not listed as in use"
[[ $(test_segments) == "dupipe-$test_run_id-live" ]] || fail "after cleanup: $(test_segments)"
wait "$live_owner"
"$DUPIPE_BIN_DIR/dupipe-shm" remove "dupipe-$test_run_id-live"
rm -rf -- "$TMPDIR"/dupipe-run.*  # the killed launcher could not remove its run directory
expect_no_leftovers
