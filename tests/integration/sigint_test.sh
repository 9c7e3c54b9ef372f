#!/usr/bin/env bash
# (e) SIGINT in the middle of a run stops it within seconds, exit status 130, and leaves no FIFO,
# shared-memory segment, run directory or child process behind; SIGHUP (the terminal closed) too,
# exit status 129.
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
for i in 1 2 3 4 5 6; do echo "$base_url/_drip/2000/images/photo.jpg?copy=$i"; done >"$work/urls.txt"

for pair in INT:130 HUP:129; do
  signal=${pair%:*} expected=${pair#*:}
  rm -rf -- "$work/out"
  # Job control gives the launcher its own process group; without it bash would start the
  # background launcher with SIGINT ignored, as it does for every asynchronous command.
  set -m
  next_run
  mapfile -t args < <(transport_args)
  "$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" "${args[@]}" --out "$work/out" \
    --fetchers 3 "$work/urls.txt" >/dev/null 2>"$work/stderr" &
  set +m
  launcher=$!
  for ((i = 0; i < 100; i++)); do  # wait (bounded) until the stages are running
    compgen -G "$TMPDIR/dupipe-run.*/pids" >/dev/null && [[ $(wc -l <"$TMPDIR"/dupipe-run.*/pids) -ge 4 ]] && break
    sleep 0.1
  done
  run_dir=$(compgen -G "$TMPDIR/dupipe-run.*" || true)
  [[ -n $run_dir && -s $run_dir/links ]] || fail "the run did not start"
  sleep 1
  kill -"$signal" "$launcher"
  status=0
  for ((i = 0; i < 150; i++)); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$launcher" 2>/dev/null && { kill -KILL "$launcher"; fail "launcher still running 15 s after SIG$signal"; }
  wait "$launcher" || status=$?
  [[ $status -eq $expected ]] || fail "SIG$signal: exit status $status, expected $expected; stderr: $(cat "$work/stderr")"
  [[ ! -e $run_dir ]] || fail "run directory $run_dir remains"
  expect_no_leftovers
done
