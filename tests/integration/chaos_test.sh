#!/usr/bin/env bash
# Chaos (issue 5): 1,000 URLs of 150 ms each against the test server; every 200 ms (kept by
# sleep_until_next_tick, however slow the loop is on a loaded machine) a random stage process gets
# SIGKILL, 20 kills over the run, over the transport under test. The report's groups and failures
# must equal a clean run's, the summary must add up, and no dupipe process, FIFO, run directory or
# shm segment may remain.
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
readonly kills_wanted=20
mapfile -t files < <(cd "$work/corpus" && find . -type f ! -name '*é*' -printf '%P\n' | sort)
for ((i = 0; i < 1000; i++)); do
  if ((i % 50 == 7)); then echo "$base_url/_slow/150/missing-$i.txt"
  else echo "$base_url/_slow/150/${files[i % ${#files[@]}]}?n=$i"; fi
done >"$work/urls.txt"

seconds_since() { awk -v from="$1" -v to="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", to - from }'; }
started=$EPOCHREALTIME
run_pipeline --out "$work/clean" "$work/urls.txt" >/dev/null 2>&1 || fail "the clean run failed"
clean_seconds=$(seconds_since "$started")

set -m  # the launcher in its own process group, as from a terminal
next_run
mapfile -t args < <(transport_args)
"$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" "${args[@]}" \
  --max-restarts "$kills_wanted" --out "$work/chaos" "$work/urls.txt" >/dev/null 2>"$work/chaos.stderr" &
set +m
launcher=$!
started=$EPOCHREALTIME

kills=0
for ((round = 0; round < 600 && kills < kills_wanted; round++)); do  # at most 120 s
  sleep_until_next_tick
  kill -0 "$launcher" 2>/dev/null || break
  kill_random_stage && { kills=$((kills + 1)); last_kill=$EPOCHREALTIME; }
done
for ((i = 0; i < 1200; i++)); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
kill -0 "$launcher" 2>/dev/null && { kill -KILL "$launcher"; fail "the chaos run did not end within 120 s"; }
ended=$EPOCHREALTIME
status=0
wait "$launcher" || status=$?
[[ $status -eq 0 ]] || fail "chaos run exit status $status; stderr: $(tail -n 20 "$work/chaos.stderr")"
((kills == kills_wanted)) || fail "only $kills of $kills_wanted kills landed before the run ended"
restarts=$(grep -c 'restarting it in' "$work/chaos.stderr" || true)
# On a mismatch the launcher's own account of every death is the evidence: show it.
((restarts == kills)) || fail "$kills kills but $restarts restarts logged; the launcher said:
$(grep -E 'died|exited|restarting|killed|error' "$work/chaos.stderr" | tail -n 40)"
python3 "$(dirname "$0")/same_report.py" "$work/clean" "$work/chaos" ||
  fail "the chaos run's report differs from the clean run's; launcher: $(grep run_pipeline "$work/chaos.stderr" | tail -n 5)"
echo "chaos: $kills kills survived, $(grep -o '[0-9]* passes' "$work/chaos.stderr" || echo '1 pass');" \
  "$(sed -n 2p "$work/chaos/report.txt");" \
  "clean run $clean_seconds s, chaos run $(seconds_since "$started" "$ended") s, last kill to the end $(seconds_since "${last_kill:-$ended}" "$ended") s"
expect_no_leftovers
