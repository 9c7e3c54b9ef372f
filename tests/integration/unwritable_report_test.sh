#!/usr/bin/env bash
# An OUT where the report cannot be written (issue 5): OUT/report.json is a directory, so the
# aggregator's final rename fails at the very end of the run. The run must stop (bounded) with an
# error naming the path and the cause, exit non-zero, leave OUT/report.json as it was and nothing
# behind. Also the regression test of a hang: the aggregator dies after every writer has gone
# and the FIFO link was released, and its restart used to block in open(2) on that FIFO forever.
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
demo_url_list "$work/corpus" "$base_url" >"$work/urls.txt"
mkdir -p "$work/out/report.json"
touch "$work/out/report.json/keep"  # a non-empty directory: rename(2) over it fails

set -m
next_run
mapfile -t args < <(transport_args)
"$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" "${args[@]}" \
  --max-restarts 2 --out "$work/out" "$work/urls.txt" >/dev/null 2>"$work/stderr" &
set +m
launcher=$!
for ((i = 0; i < 600; i++)); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$launcher" 2>/dev/null; then
  kill -KILL -- "-$launcher" 2>/dev/null || kill -KILL "$launcher"
  fail "the run did not stop within 60 s: $(grep run_pipeline "$work/stderr" | tail -n 5)"
fi
status=0
wait "$launcher" || status=$?
[[ $status -ne 0 ]] || fail "a run that could not write its report exited 0"
grep -q "$work/out/report.json[^ ]*: .*Is a directory" "$work/stderr" ||
  fail "no error naming $work/out/report.json and the cause: $(grep -v '^\(fetcher\|hasher\)\[' "$work/stderr" | tail -n 5)"
[[ -d $work/out/report.json && -e $work/out/report.json/keep ]] || fail "OUT/report.json was replaced"
echo "unwritable report: exit $status; $(grep -c 'Is a directory' "$work/stderr") errors naming the path"
expect_no_leftovers
