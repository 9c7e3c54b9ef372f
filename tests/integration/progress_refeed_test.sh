#!/usr/bin/env bash
# The progress line over a re-feed (docs/LAB.md step 7): a fetcher killed while it holds
# downloads loses them, and a second pass re-feeds only those. The line's total must count each
# URL once: it never exceeds the report's URL count and it ends at URLS/URLS (it used to end at
# URLS/URLS+LOST, adding up what both passes' producers sent).
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
{
  # 256 KiB at 64 KiB/s: 4 s each, so a fetcher still holds them when it is killed.
  for i in 1 2 3 4 5 6; do echo "$base_url/_drip/65536/images/photo.jpg?copy=$i"; done
  demo_url_list "$work/corpus" "$base_url"
} >"$work/urls.txt"

next_run
mapfile -t args < <(transport_args)
mapfile -t launcher < <(printf '%s\n' "$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" \
  "${args[@]}" --fetchers 2 --hashers 1 --out "$work/out" "$work/urls.txt")

python3 - "$work" "$DUPIPE_BIN_DIR/dupipe-shm" "$TMPDIR" "${launcher[@]}" <<'PY' || fail "progress line over a re-feed"
import glob, json, os, signal, subprocess, sys, time
sys.path.insert(0, os.environ["DUPIPE_SOURCE_DIR"] + "/tests/integration")
from terminal import progress_draws, run_on_terminal
work, shm_tool, tmp, launcher = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
bad = []

def fetcher_holding_downloads():
    """The pid of a live fetcher that took more records than it passed on, or None."""
    for stats in glob.glob(f"{tmp}/dupipe-run.*/stats"):
        try:
            area = open(stats).read().strip()
            shown = subprocess.run([shm_tool, "stages", "--json", area], capture_output=True,
                                   text=True, timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        for line in shown.splitlines():
            stage = json.loads(line)
            if (stage["role"] == "fetcher" and stage["alive"]
                    and stage["records_in"] > stage["records_out"] + 1):
                return stage["pid"]
    return None

victim = None
def kill_a_fetcher_once():
    global victim
    if victim is None and time.monotonic() - started > 1:
        victim = fetcher_holding_downloads()
        if victim is not None:
            os.kill(victim, signal.SIGKILL)

started = time.monotonic()
status, text = run_on_terminal(launcher, f"{work}/stderr", on_tick=kill_a_fetcher_once)
stderr = open(f"{work}/stderr", encoding="utf-8", errors="replace").read()
draws = progress_draws(text)
if status != 0:
    bad.append(f"launcher exited {status}; stderr: {stderr[-600:]}")
if victim is None:
    bad.append("no fetcher held downloads to kill")
if "2 passes" not in stderr:
    bad.append(f"no re-feed pass: {stderr[-600:]}")
urls = json.load(open(f"{work}/out/report.json"))["summary"]["urls"] if status == 0 else -1
if not draws:
    bad.append(f"no progress line on the terminal: {text[:300]!r}")
else:
    if draws[-1][1:] != (urls, urls):
        bad.append(f"last progress line {draws[-1][0]!r}, expected {urls}/{urls} URLs")
    over = [line for line, done, total in draws if total > urls]
    if over:
        bad.append(f"{len(over)} lines count more than the {urls} URLs, e.g. {over[-1]!r}")
print(f"killed fetcher {victim}; {len(draws)} redraws; last: {draws[-1][0] if draws else None!r}",
      file=sys.stderr)
for line in bad:
    print(line, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
expect_no_leftovers
