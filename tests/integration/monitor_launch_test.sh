#!/usr/bin/env bash
# run_pipeline.sh --monitor, in a tmux pane: dupipe-top takes the launching terminal while the run
# goes (a row for every stage process, the links), no stage message tears its screen (they go to
# OUT/run.log), and it ends with the run, leaving the report lines and no process behind.
source "$(dirname "$0")/harness.sh"
command -v tmux >/dev/null || fail "tmux is not installed (scripts/test.sh installs it)"
serve_demo_corpus
{
  demo_url_list "$work/corpus" "$base_url"
  for i in 1 2; do echo "$base_url/_drip/100000/images/photo.jpg?copy=$i"; done
} >"$work/urls.txt"

next_run
mapfile -t args < <(transport_args)
printf '%q ' "$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" "${args[@]}" \
  --monitor --out "$work/out" --fetchers 2 --hashers 2 "$work/urls.txt" >"$work/cmd"
echo '; echo "launcher-exit=$?"; sleep 60' >>"$work/cmd"
session=dupipe-monitor-launch-$$
tmux new-session -d -s "$session" -x 200 -y 50 "TMPDIR=$TMPDIR bash $work/cmd"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; on_exit' EXIT

seen=""
for ((i = 0; i < 100; i++)); do  # until dupipe-top shows every stage and link (bounded: 10 s)
  sleep 0.1
  screen=$(tmux capture-pane -p -t "$session")
  run_dir=$(compgen -G "$TMPDIR/dupipe-run.*" || true)
  [[ -n $run_dir && -s $run_dir/pids ]] || continue
  [[ $screen =~ (producer|fetcher|hasher|aggregator)\[[0-9]+\]: ]] && fail "a log line on the monitor:"$'\n'"$screen"
  missing=0
  while read -r role pid; do grep -Eq "^ *$pid +$role " <<<"$screen" || missing=1; done <"$run_dir/pids"
  for link in urls paths digests; do grep -Eq "^$link +(fifo|shm) " <<<"$screen" || missing=1; done
  [[ $missing -eq 0 && $(wc -l <"$run_dir/pids") -eq 6 ]] && { seen=$screen; break; }
done
[[ -n $seen ]] || fail "dupipe-top did not show the run:"$'\n'"$screen"

for ((i = 0; i < 300; i++)); do  # until the run ends (bounded: 30 s)
  screen=$(tmux capture-pane -p -t "$session")
  [[ $screen == *launcher-exit=* ]] && break
  sleep 0.1
done
grep -q "launcher-exit=0" <<<"$screen" || fail "the run did not end well:"$'\n'"$screen"
grep -q "^Report: $work/out/report.json" <<<"$screen" || fail "no report line after the monitor:"$'\n'"$screen"
grep -q "the stages' messages are in $work/out/run.log" <<<"$screen" || fail "the log is not named:"$'\n'"$screen"
grep -q "aggregator\[[0-9]*\]: report written" "$work/out/run.log" || fail "no stage messages in run.log"
pgrep -f -- "dupipe-top.*$work" >/dev/null && fail "dupipe-top still running after the run"
tmux kill-session -t "$session"
expect_no_leftovers
