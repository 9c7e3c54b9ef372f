#!/usr/bin/env bash
# Graceful stop and resume (issue 5): SIGINT at about 50 % stops the run within 5 s with exit 130
# and a partial report ("complete": false); `--resume --out OUT` then finishes it with a report
# identical to a clean run's, and the test server sees no second download of a file the
# interrupted run had finished.
source "$(dirname "$0")/harness.sh"
"$DUPIPE_SOURCE_DIR/scripts/make_demo_corpus.sh" "$work/corpus"
# A server that logs every request (target and status), to count downloads per URL.
"$DUPIPE_BIN_DIR/dupipe-testserver" --root "$work/corpus" --port 0 --port-file "$work/port" \
  2>"$work/server.log" &
TEST_SERVER_PID=$!
for ((i = 0; i < 100; i++)); do [[ -s $work/port ]] && break; sleep 0.1; done
[[ -s $work/port ]] || fail "test server did not start"
base_url=http://127.0.0.1:$(<"$work/port")
mapfile -t files < <(cd "$work/corpus" && find . -type f ! -name '*é*' -printf '%P\n' | sort)
for ((i = 0; i < 300; i++)); do echo "$base_url/_slow/100/${files[i % ${#files[@]}]}?n=$i"; done >"$work/urls.txt"
echo "not a url" >>"$work/urls.txt"
small=(--fetchers 2 --transfers 4)

run_pipeline "${small[@]}" --out "$work/clean" "$work/urls.txt" >/dev/null 2>&1 || fail "the clean run failed"
log_offset=$(wc -l <"$work/server.log")

set -m
next_run
mapfile -t args < <(transport_args)
"$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" "${args[@]}" "${small[@]}" \
  --out "$work/out" "$work/urls.txt" >/dev/null 2>"$work/first.stderr" &
set +m
launcher=$!
journal=$work/out/.dupipe/journal
for ((i = 0; i < 300; i++)); do  # at most 30 s until half of the lines are accounted
  [[ -f $journal && $(wc -l <"$journal") -ge 150 ]] && break
  kill -0 "$launcher" 2>/dev/null || fail "the run ended before it reached 50 %"
  sleep 0.1
done
kill -INT "$launcher"
stopped_at=$SECONDS
for ((i = 0; i < 100; i++)); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
kill -0 "$launcher" 2>/dev/null && { kill -KILL "$launcher"; fail "still running 10 s after SIGINT"; }
status=0
wait "$launcher" || status=$?
((SECONDS - stopped_at <= 6)) || fail "the stop took $((SECONDS - stopped_at)) s (more than 5 s)"
[[ $status -eq 130 ]] || fail "exit status $status after SIGINT, expected 130: $(tail -n 5 "$work/first.stderr")"
python3 - "$work/out/report.json" <<'PY' || fail "no partial report after SIGINT"
import json, sys
report = json.load(open(sys.argv[1]))
assert report["complete"] is False, report["complete"]
assert 0 < report["summary"]["urls"] < 301, report["summary"]
PY
grep -o '^P	[^	]*	[^	]*' "$work/out/.dupipe/fetched" | cut -f3 >"$work/finished.txt" || true
[[ -s $work/finished.txt ]] || fail "no download had finished before SIGINT"

run_pipeline --resume "${small[@]}" --out "$work/out" >/dev/null 2>"$work/resume.stderr" ||
  fail "the resumed run failed: $(tail -n 5 "$work/resume.stderr")"
python3 "$(dirname "$0")/same_report.py" "$work/clean" "$work/out" || fail "the resumed report differs from a clean run's"

tail -n +"$((log_offset + 1))" "$work/server.log" >"$work/runs.log"
twice=0
while read -r url; do
  target=${url#"$base_url"}
  count=$(grep -cF -- "GET $target " "$work/runs.log" || true)
  ((count == 1)) || { echo "downloaded $count times: $url" >&2; twice=$((twice + 1)); }
done <"$work/finished.txt"
((twice == 0)) || fail "$twice files finished before SIGINT were downloaded again"
echo "resume: $(wc -l <"$work/finished.txt") downloads finished before SIGINT, none fetched again"
expect_no_leftovers
