#!/usr/bin/env bash
# --run-dir-file FILE: each of two runs side by side under one TMPDIR (what a student meets on a
# shared machine, where globbing dupipe-run.* finds both) writes its own run directory to its
# FILE once its stages run: the pids there are that launcher's children. FILE stays after the
# run, the directory goes; a FILE in a missing directory is a usage error; directory mode too.
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
script=$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh
for i in 1 2 3 4; do echo "$base_url/_slow/1500/misc/data.json?copy=$i"; done >"$work/urls.txt"

[[ $("$script" --help) == *"--run-dir-file FILE"* ]] || fail "--help does not list --run-dir-file"

declare -A launcher
for run in a b; do
  next_run
  mapfile -t args < <(transport_args)
  "$script" --bin-dir "$DUPIPE_BIN_DIR" "${args[@]}" --run-dir-file "$work/$run.run-dir" \
    --out "$work/out-$run" --fetchers 1 --hashers 1 "$work/urls.txt" >/dev/null 2>"$work/$run.stderr" &
  launcher[$run]=$!
done

for run in a b; do
  for ((i = 0; i < 100; i++)); do  # bounded: 10 s
    [[ -s $work/$run.run-dir ]] && break
    sleep 0.1
  done
  [[ -s $work/$run.run-dir ]] || fail "run $run wrote no --run-dir-file: $(cat "$work/$run.stderr")"
  run_dir=$(<"$work/$run.run-dir")
  [[ $run_dir == "$TMPDIR"/dupipe-run.* && -s $run_dir/pids ]] ||
    fail "run $run: '$run_dir' is not a run directory with pids"
  while read -r role pid; do
    parent=$(ps -o ppid= -p "$pid" | tr -d " " || true)  # "": the stage has ended
    [[ -z $parent || $parent == "${launcher[$run]}" ]] ||
      fail "run $run: $role $pid is a child of $parent, not of its launcher ${launcher[$run]}"
  done <"$run_dir/pids"
done
[[ $(<"$work/a.run-dir") != $(<"$work/b.run-dir") ]] || fail "both runs wrote the same directory"

for run in a b; do
  wait "${launcher[$run]}" || fail "run $run failed: $(cat "$work/$run.stderr")"
  grep -q "^run_pipeline: run directory $(<"$work/$run.run-dir");" "$work/$run.stderr" ||
    fail "run $run: the file names another directory than the launcher printed"
  [[ ! -e $(<"$work/$run.run-dir") ]] || fail "run $run: its run directory is left behind"
done

status=0
"$script" --bin-dir "$DUPIPE_BIN_DIR" --run-dir-file "$work/missing/run-dir" --out "$work/out-c" \
  "$work/urls.txt" 2>"$work/c.stderr" || status=$?
[[ $status -eq 2 ]] || fail "a --run-dir-file in a missing directory: exit $status, expected 2"
grep -q -- "--run-dir-file: no directory for '$work/missing/run-dir'" "$work/c.stderr" ||
  fail "the usage error does not name the file: $(cat "$work/c.stderr")"

"$script" --bin-dir "$DUPIPE_BIN_DIR" --dir "$work/corpus" --keep-run-dir \
  --run-dir-file "$work/d.run-dir" --out "$work/out-d" >/dev/null 2>"$work/d.stderr" ||
  fail "the directory-mode run failed: $(cat "$work/d.stderr")"
run_dir=$(<"$work/d.run-dir")
[[ -s $run_dir/pids ]] || fail "directory mode: '$run_dir' has no pids"
rm -rf -- "$run_dir"
expect_no_leftovers
