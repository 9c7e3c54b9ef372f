#!/usr/bin/env bash
# The progress line: on a terminal (stdout a pseudo-terminal here) the launcher redraws one line
# "[###...] done/total URLs, bytes, rates, ETA" in place, at most 10 times a second, ending with
# every URL done; with stdout a pipe nothing of it appears on stdout or stderr.
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
{
  demo_url_list "$work/corpus" "$base_url"
  for i in 1 2; do echo "$base_url/_drip/300000/images/photo.jpg?copy=$i"; done
} >"$work/urls.txt"

launcher() {
  local args
  next_run
  mapfile -t args < <(transport_args)
  printf '%s\n' "$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" "${args[@]}" \
    --fetchers 2 --hashers 1 "$@" "$work/urls.txt"
}
mapfile -t on_tty < <(launcher --out "$work/tty")
mapfile -t on_pipe < <(launcher --out "$work/pipe")

python3 - "$work" "${#on_tty[@]}" "${on_tty[@]}" "${on_pipe[@]}" <<'PY' || fail "progress line"
import json, os, re, subprocess, sys, time
sys.path.insert(0, os.environ["DUPIPE_SOURCE_DIR"] + "/tests/integration")
from terminal import progress_draws, run_on_terminal
work, n = sys.argv[1], int(sys.argv[2])
on_tty, on_pipe = sys.argv[3:3 + n], sys.argv[3 + n:]
bad = []

started = time.monotonic()
status, text = run_on_terminal(on_tty, f"{work}/tty.stderr")
elapsed = time.monotonic() - started
urls = json.load(open(f"{work}/tty/report.json"))["summary"]["urls"]
draws = progress_draws(text)
if status != 0:
    bad.append(f"launcher on a terminal exited {status}")
if len(draws) < 3:
    bad.append(f"only {len(draws)} progress redraws on the terminal: {text[:300]!r}")
elif draws[-1][1:] != (urls, urls):
    bad.append(f"last progress line {draws[-1][0]!r}, expected {urls}/{urls} URLs")
if len(draws) > 10 * elapsed + 2:
    bad.append(f"{len(draws)} redraws in {elapsed:.1f} s: more than 10 a second")
if not re.search(r"\x1b\[K\r?\nReport: ", text):
    bad.append("the report line does not start on a line of its own after the progress line")
if "KiB" not in text and "MiB" not in text:
    bad.append("no downloaded bytes in the progress line")

piped = subprocess.run(on_pipe, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
for name, stream in (("stdout", piped.stdout), ("stderr", piped.stderr)):
    if b"URLs/s" in stream or b"\r" in stream or b"\x1b[" in stream:
        bad.append(f"progress output on a piped run's {name}: {stream[:200]!r}")
if piped.returncode != 0 or not piped.stdout.startswith(b"Report: "):
    bad.append(f"piped run: exit {piped.returncode}, stdout {piped.stdout[:200]!r}")
print(f"{len(draws)} redraws in {elapsed:.1f} s; last: {draws[-1][0] if draws else None!r}", file=sys.stderr)
for line in bad:
    print(line, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
expect_no_leftovers
