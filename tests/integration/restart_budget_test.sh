#!/usr/bin/env bash
# The restart budget (issue 5): each death is logged with the pid and the signal, a dead stage is
# restarted, and once a role has used its --max-restarts the run stops (exit 1) with a partial
# report ("complete": false) and nothing left behind. A stand-in stage is never restarted.
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
for ((i = 0; i < 60; i++)); do echo "$base_url/_slow/300/misc/note-1.txt?n=$i"; done >"$work/urls.txt"

# kill_role ROLE: SIGKILL the live process of ROLE in the run directory; sets victim.
kill_role() {
  local run_dir role pid i
  for ((i = 0; i < 100; i++)); do
    run_dir=$(compgen -G "$TMPDIR/dupipe-run.*" | head -n 1 || true)
    if [[ -n $run_dir && -s $run_dir/pids ]]; then
      while read -r role pid; do
        if [[ $role == "$1" ]] && is_running "$pid"; then
          kill -KILL "$pid"
          victim=$pid
          return
        fi
      done <"$run_dir/pids"
    fi
    sleep 0.05
  done
  fail "no live $1 to kill"
}

start_run() {  # start_run ARGS...: the launcher in the background, stderr to $work/stderr
  set -m
  next_run
  mapfile -t args < <(transport_args)
  "$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" "${args[@]}" \
    --fetchers 1 --transfers 2 "$@" >/dev/null 2>"$work/stderr" &
  set +m
  launcher=$!
}

end_of_run() {  # waits (bounded) for the launcher; sets status
  local i
  for ((i = 0; i < 300; i++)); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$launcher" 2>/dev/null && { kill -KILL "$launcher"; fail "the run did not stop within 30 s"; }
  status=0
  wait "$launcher" || status=$?
}

start_run --max-restarts 1 --out "$work/out" "$work/urls.txt"
kill_role aggregator
first=$victim
for ((i = 0; i < 100; i++)); do grep -q "restarting it" "$work/stderr" && break; sleep 0.1; done
grep -q "stage aggregator (pid $first) was killed by SIGKILL.*restarting it in 100 ms (restart 1 of 1)" "$work/stderr" ||
  fail "the first death was not logged with pid and signal: $(grep run_pipeline "$work/stderr")"
sleep 0.5
kill_role aggregator
second=$victim
[[ $second != "$first" ]] || fail "the aggregator was not restarted"
end_of_run
[[ $status -eq 1 ]] || fail "exit status $status once the budget was spent, expected 1"
grep -q "stage aggregator (pid $second) was killed by SIGKILL.*; its restart budget (--max-restarts 1) is spent" "$work/stderr" ||
  fail "the spent budget was not logged: $(grep run_pipeline "$work/stderr")"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["complete"] is False else 1)' \
  "$work/out/report.json" || fail "no partial report marked complete: false"
expect_no_leftovers

start_run --hasher-cmd "$DUPIPE_SOURCE_DIR/scripts/examples/sha256_hasher.sh" --out "$work/standin" "$work/urls.txt"
kill_role hasher
end_of_run
[[ $status -eq 1 ]] || fail "exit status $status after a stand-in died, expected 1"
grep -q "stage hasher (pid $victim) was killed by SIGKILL.*; it cannot be restarted" "$work/stderr" ||
  fail "a stand-in's death was not reported as final: $(grep run_pipeline "$work/stderr")"
expect_no_leftovers
