#!/usr/bin/env bash
# kill -9 of the launcher itself (issue 5): no stage outlives it (they get SIGTERM from the kernel,
# PR_SET_PDEATHSIG), `--cleanup` removes the dead run's segments, and `--resume` finishes the run
# with a clean run's report.
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
mapfile -t files < <(cd "$work/corpus" && find . -type f ! -name '*é*' -printf '%P\n' | sort)
# 240 URLs of 300 ms at 8 at a time: 9 s, so stages that merely finish their work after the
# launcher died would be seen alive 5 s later.
for ((i = 0; i < 240; i++)); do echo "$base_url/_slow/300/${files[i % ${#files[@]}]}?n=$i"; done >"$work/urls.txt"
small=(--fetchers 2 --transfers 4)
run_pipeline "${small[@]}" --out "$work/clean" "$work/urls.txt" >/dev/null 2>&1 || fail "the clean run failed"

set -m
next_run
mapfile -t args < <(transport_args)
"$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" "${args[@]}" "${small[@]}" \
  --out "$work/out" "$work/urls.txt" >/dev/null 2>"$work/first.stderr" &
set +m
launcher=$!
for ((i = 0; i < 200; i++)); do
  [[ -f $work/out/.dupipe/journal && $(wc -l <"$work/out/.dupipe/journal") -ge 30 ]] && break
  sleep 0.1
done
run_dir=$(compgen -G "$TMPDIR/dupipe-run.*" | head -n 1)
mapfile -t stages < <(awk '{print $2}' "$run_dir/pids")
kill -KILL "$launcher"
wait "$launcher" 2>/dev/null || true
for ((i = 0; i < 50; i++)); do
  alive=()
  for pid in "${stages[@]}"; do is_running "$pid" && alive+=("$pid"); done
  ((${#alive[@]} == 0)) && break
  sleep 0.1
done
((${#alive[@]} == 0)) || fail "stages outlived the launcher by 5 s: ${alive[*]}"

# What a SIGKILLed launcher could not clean: its run directory, and (shm) its segments.
rm -rf -- "$run_dir"
"$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" --cleanup >/dev/null
[[ -z $(test_segments) ]] || fail "--cleanup left the dead run's segments: $(test_segments)"

run_pipeline --resume "${small[@]}" --out "$work/out" >/dev/null 2>"$work/resume.stderr" ||
  fail "the resumed run failed: $(tail -n 5 "$work/resume.stderr")"
python3 "$(dirname "$0")/same_report.py" "$work/clean" "$work/out" || fail "the resumed report differs"
expect_no_leftovers
