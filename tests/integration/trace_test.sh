#!/usr/bin/env bash
# --trace: the merged file parses as JSON (Chrome trace-event format), every stage process has a
# named track, there is exactly one record span per record each process read (its records_in in
# OUT/stages.jsonl) and their sum per role matches the report; slow downloads leave blocked-on-
# read spans (the hasher waits for the fetchers).
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
{
  demo_url_list "$work/corpus" "$base_url"
  for i in 1 2; do echo "$base_url/_drip/200000/images/photo.jpg?copy=$i"; done
} >"$work/urls.txt"

run_pipeline --out "$work/out" --fetchers 2 --hashers 2 --trace "$work/trace.json" \
  "$work/urls.txt" >/dev/null
grep -q "trace: $work/trace.json" "$work/launcher.stderr" || fail "the launcher did not name the trace"
python3 - "$work/trace.json" "$work/out/stages.jsonl" "$work/out/report.json" <<'PY' || fail "the trace does not match the run"
import collections, json, sys
trace = json.load(open(sys.argv[1]))
stages = [json.loads(line) for line in open(sys.argv[2])]
report = json.load(open(sys.argv[3]))
events = trace["traceEvents"]
names = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
spans = collections.Counter(e["pid"] for e in events if e["ph"] == "X" and e["cat"] == "record")
blocked = collections.Counter(e["name"] for e in events if e["ph"] == "X" and e["cat"] == "blocked")
bad = []
for e in events:
    if e["ph"] == "X" and not (e["dur"] >= 0 and e["ts"] > 0 and isinstance(e["tid"], int)):
        bad.append(f"malformed span {e}")
for s in stages:
    if names.get(s["pid"]) != s["role"]:
        bad.append(f"{s['role']} {s['pid']}: track named {names.get(s['pid'])!r}")
    if spans[s["pid"]] != s["records_in"]:
        bad.append(f"{s['role']} {s['pid']}: {spans[s['pid']]} record spans, {s['records_in']} records in")
if set(spans) - {s["pid"] for s in stages}:
    bad.append("spans of a process the counters do not know")
# Spans of one track must nest (Chrome's viewer and Perfetto draw "X" events as a stack).
tracks = collections.defaultdict(list)
for e in events:
    if e["ph"] == "X":
        tracks[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"], e["name"]))
for track, track_spans in tracks.items():
    stack = []
    for span in sorted(track_spans, key=lambda s: (s[0], -s[1])):
        while stack and stack[-1][1] <= span[0] + 0.002:  # 0.002 us: float rounding of ts + dur
            stack.pop()
        if stack and span[1] > stack[-1][1] + 0.002:
            bad.append(f"track {track}: {span} overlaps {stack[-1]} without nesting")
        stack.append(span)
per_role = collections.Counter()
for s in stages:
    per_role[s["role"]] += spans[s["pid"]]
urls = report["summary"]["urls"]
for role in ("fetcher", "hasher", "aggregator"):
    if per_role[role] != urls:
        bad.append(f"{role}: {per_role[role]} record spans, report has {urls} URLs")
if blocked["blocked on read"] == 0:
    bad.append("no blocked-on-read span")
print(f"{len(events)} events; record spans per role {dict(per_role)}; blocked {dict(blocked)}",
      file=sys.stderr)
for line in bad:
    print(line, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
[[ -z $(ls -A "$TMPDIR") ]] || fail "run directory (and its trace parts) left behind"

# Without --trace no stage writes trace files and the run names none.
run_pipeline --out "$work/out2" --fetchers 1 --hashers 1 "$work/urls.txt" >/dev/null
grep -q "trace:" "$work/launcher.stderr" && fail "a run without --trace reported a trace"
usage=$("$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" --dir "$work/corpus" \
  --trace "$work/t.json" 2>&1) && fail "--trace with --dir accepted"
grep -q -- "--trace and --monitor are for URL mode" <<<"$usage" || fail "--trace with --dir: $usage"
expect_no_leftovers
