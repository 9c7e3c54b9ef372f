#!/usr/bin/env bash
# Live counters: dupipe-top, run in tmux against a live pipeline, shows every process (by pid) and
# every link; at the end of the run the counters saved in OUT/stages.jsonl add up to the report.
# dupipe-top is started without a run directory: with one run going it finds that one itself.
source "$(dirname "$0")/harness.sh"
command -v tmux >/dev/null || fail "tmux is not installed (scripts/test.sh installs it)"
serve_demo_corpus
{
  demo_url_list "$work/corpus" "$base_url"
  for i in 1 2 3; do echo "$base_url/_drip/100000/images/photo.jpg?copy=$i"; done
} >"$work/urls.txt"

next_run
mapfile -t args < <(transport_args)
set -m
"$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" "${args[@]}" \
  --out "$work/out" --fetchers 3 --hashers 2 "$work/urls.txt" >/dev/null 2>"$work/stderr" &
set +m
launcher=$!
for ((i = 0; i < 100; i++)); do
  run_dir=$(compgen -G "$TMPDIR/dupipe-run.*" || true)
  [[ -n $run_dir && -s $run_dir/stats && $(wc -l <"$run_dir/pids") -ge 7 ]] && break
  sleep 0.1
done
[[ -n $run_dir && -s $run_dir/stats ]] || fail "the run did not start: $(cat "$work/stderr")"

session=dupipe-monitor-test-$$
# The tmux server may be older than this test: TMPDIR (where the launcher put the run) is passed.
tmux new-session -d -s "$session" -x 220 -y 40 "env TMPDIR=$TMPDIR $DUPIPE_BIN_DIR/dupipe-top --interval-ms 200"
cleanup_tmux() { tmux kill-session -t "$session" 2>/dev/null || true; }
trap 'cleanup_tmux; on_exit' EXIT
screen=""
for ((i = 0; i < 50; i++)); do  # until every stage has a row, one blocked (bounded: 5 s)
  sleep 0.1
  screen=$(tmux capture-pane -p -t "$session" 2>/dev/null || true)
  missing=0
  while read -r role pid; do
    grep -Eq "^ *$pid +$role " <<<"$screen" || missing=1
  done <"$run_dir/pids"
  [[ $missing -eq 0 ]] && grep -q "blocked-on-read" <<<"$screen" && break
done
head -n 1 <<<"$screen" | grep -qF "dupipe-top $run_dir " || fail "dupipe-top did not find the one live run $run_dir:"$'\n'"$screen"
while read -r role pid; do
  grep -Eq "^ *$pid +$role " <<<"$screen" || fail "dupipe-top shows no row for $role $pid:"$'\n'"$screen"
done <"$run_dir/pids"
for link in urls paths digests; do
  grep -Eq "^$link +(fifo|shm) +\[" <<<"$screen" || fail "dupipe-top shows no link $link:"$'\n'"$screen"
done
grep -q "blocked-on-read" <<<"$screen" || fail "no stage shown blocked on read:"$'\n'"$screen"
tmux send-keys -t "$session" q
for ((i = 0; i < 30; i++)); do tmux has-session -t "$session" 2>/dev/null || break; sleep 0.1; done
tmux has-session -t "$session" 2>/dev/null && fail "dupipe-top did not quit on 'q'"

for ((i = 0; i < 300; i++)); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
wait "$launcher" || fail "run_pipeline exited $?: $(tail -5 "$work/stderr")"
python3 - "$work/out/stages.jsonl" "$work/out/report.json" <<'PY' || fail "counters do not add up"
import json, sys
stages = [json.loads(line) for line in open(sys.argv[1])]
report = json.load(open(sys.argv[2]))
def total(role, key):
    return sum(s[key] for s in stages if s["role"] == role)
urls = report["summary"]["urls"]
failed = report["summary"]["failed"] + report["summary"]["rejected"]
checks = {
    "producer out == report urls": (total("producer", "records_out"), urls),
    "fetchers in == producer out": (total("fetcher", "records_in"), urls),
    "hashers in == fetchers out": (total("hasher", "records_in"), total("fetcher", "records_out")),
    "aggregator in == report urls": (total("aggregator", "records_in"), urls),
    "hashers out == aggregator in": (total("hasher", "records_out"), total("aggregator", "records_in")),
    "failures reaching the aggregator": (total("hasher", "failures_out"), failed),
}
bad = {k: v for k, v in checks.items() if v[0] != v[1]}
for k, v in checks.items():
    print(f"{k}: {v[0]} vs {v[1]}", file=sys.stderr)
sys.exit(1 if bad or len(stages) != 7 else 0)
PY
expect_no_leftovers
