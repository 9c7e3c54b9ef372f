#!/usr/bin/env bash
# Directory-mode chaos: a 5,000-file tree; every 200 ms a random stage
# process gets SIGKILL, 10 kills, over the transport under test (fifo or shm). Each death ends
# the pass and the supervisor starts it again; the report's groups must equal a clean run's, and
# no stage, FIFO, run directory or shm segment may remain.
source "$(dirname "$0")/harness.sh"
readonly kills_wanted=10
# 5,000 sparse files of 0.25-0.75 MiB (2.5 GB to hash, almost nothing on disk): 1,000 sizes of 5
# files each, 3 copies and 2 that differ only in their middle byte, so every file is hashed in
# full; a clean pass takes about a second on 2 cores, so a kill every 200 ms lands in most passes.
python3 - "$work/tree" <<'PY'
import os, sys
root = sys.argv[1]
for size_index in range(1000):
    size = (256 << 10) + size_index * 512
    folder = os.path.join(root, f"d{size_index % 40:02d}")
    os.makedirs(folder, exist_ok=True)
    for copy, marker in enumerate(b"AAABC"):
        with open(os.path.join(folder, f"s{size_index:04d}-{copy}.bin"), "wb") as f:
            f.write(b"edge" * 16)
            f.seek(size // 2)
            f.write(bytes([marker]))
            f.seek(size - 64)
            f.write(b"edge" * 16)
PY
transport=${DUPIPE_TEST_TRANSPORT:-fifo}
launcher_args=(--bin-dir "$DUPIPE_BIN_DIR" --transport "$transport" --hashers 2 --dir "$work/tree")

"$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" "${launcher_args[@]}" --run-id "$test_run_id-clean" \
  --out "$work/clean" >/dev/null 2>"$work/clean.stderr" || fail "the clean run failed: $(tail -n 5 "$work/clean.stderr")"

set -m  # the launcher in its own process group, as from a terminal
"$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" "${launcher_args[@]}" --run-id "$test_run_id-chaos" \
  --max-restarts 20 --out "$work/chaos" >/dev/null 2>"$work/chaos.stderr" &
set +m
launcher=$!

kills=0
for ((round = 0; round < 600 && kills < kills_wanted; round++)); do  # at most 120 s
  sleep_until_next_tick
  kill -0 "$launcher" 2>/dev/null || break
  kill_random_stage && kills=$((kills + 1))
done
for ((i = 0; i < 1200; i++)); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
kill -0 "$launcher" 2>/dev/null && { kill -KILL "$launcher"; fail "the chaos run did not end within 120 s"; }
status=0
wait "$launcher" || status=$?
[[ $status -eq 0 ]] || fail "chaos run exit status $status; stderr: $(grep run_pipeline "$work/chaos.stderr" | tail -n 20)"
((kills == kills_wanted)) || fail "only $kills of $kills_wanted kills landed before the run ended"
# A kill that lands while a pass is being stopped (after the death that ends it) needs no restart.
restarts=$(grep -c 'restarting the pass in' "$work/chaos.stderr" || true)
((restarts >= 1 && restarts <= kills)) ||
  fail "$kills kills but $restarts pass restarts logged: $(grep run_pipeline "$work/chaos.stderr")"
python3 - "$work/clean/report.json" "$work/chaos/report.json" <<'PY' || fail "the chaos run's report differs from the clean run's"
import json, sys
clean, chaos = (json.load(open(path)) for path in sys.argv[1:3])
def groups(report):
    return sorted(sorted(f["path"] for f in group["files"]) for group in report["groups"])
assert groups(clean) == groups(chaos), "groups differ"
assert clean["summary"] == chaos["summary"], (clean["summary"], chaos["summary"])
PY
echo "dir chaos ($transport): $kills kills survived, $restarts pass restarts; $(sed -n 2p "$work/chaos/report.txt")"
expect_no_leftovers
