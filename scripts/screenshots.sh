#!/usr/bin/env bash
# screenshots.sh: makes the README's pictures from a live run of the demo corpus (with a few slow
# downloads so there is something to watch): docs/img/dupipe-top.png, dupipe-top in a tmux pane
# (capture-pane text laid out as a terminal page and shot by headless Chromium), and
# docs/img/report-html.png, Chromium's rendering of that run's OUT/report.html.
# Needs a build (scripts/test.sh or scripts/demo.sh), tmux and chromium.
# Usage: scripts/screenshots.sh [OUTPUT_DIR]   (default: docs/img of this checkout)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=lib/urls.sh
source "$root/scripts/lib/urls.sh"
# shellcheck source=lib/chromium.sh
source "$root/scripts/lib/chromium.sh"
bin=${DUPIPE_BIN_DIR:-$root/build/bin}
img=${1:-$root/docs/img}
for tool in dupipe-top dupipe-testserver; do
  [[ -x $bin/$tool ]] || { echo "$bin/$tool is missing: build first (scripts/test.sh)" >&2; exit 2; }
done
command -v tmux >/dev/null || { echo "tmux is not installed" >&2; exit 2; }
mkdir -p -- "$img"

work=$(mktemp -d "${TMPDIR:-/tmp}/dupipe-screenshots.XXXXXX")
session=dupipe-screenshots-$$
launcher=""
finish() {
  tmux kill-session -t "$session" 2>/dev/null || true
  [[ -z $launcher ]] || { kill -TERM "$launcher" 2>/dev/null || true; wait "$launcher" 2>/dev/null || true; }
  stop_test_server
  rm -rf -- "$work"
}
trap finish EXIT

"$root/scripts/make_demo_corpus.sh" "$work/corpus"
start_test_server "$bin" "$work/corpus" "$work"
base=http://127.0.0.1:$TEST_SERVER_PORT
{
  demo_url_list "$work/corpus" "$base"
  for i in 1 2 3 4; do echo "$base/_drip/150000/images/photo.jpg?copy=$i"; done
} >"$work/urls.txt"

mkdir -p "$work/tmp"
TMPDIR=$work/tmp "$root/scripts/run_pipeline.sh" --bin-dir "$bin" --out "$work/out" --fetchers 3 \
  --hashers 2 "$work/urls.txt" >/dev/null 2>"$work/stderr" &
launcher=$!
run_dir=""
for ((i = 0; i < 100; i++)); do
  run_dir=$(compgen -G "$work/tmp/dupipe-run.*" || true)
  [[ -n $run_dir && -s $run_dir/pids && $(wc -l <"$run_dir/pids") -ge 7 ]] && break
  sleep 0.1
done
[[ -n $run_dir ]] || { echo "the run did not start: $(cat "$work/stderr")" >&2; exit 1; }

tmux new-session -d -s "$session" -x 150 -y 24 "$bin/dupipe-top --interval-ms 200 $run_dir"
sleep 2.5  # the slow downloads are under way, the hashers wait for them: blocked-on-read
tmux capture-pane -p -t "$session" >"$work/top.txt"
tmux kill-session -t "$session"
python3 - "$work/top.txt" "$work/top.html" <<'PY'
import html, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read().rstrip("\n")
style = ("body{margin:0;background:#1e1e1e}pre{margin:0;padding:12px;color:#e8e8e8;"
         "font:14px/1.3 'DejaVu Sans Mono',monospace}")
open(sys.argv[2], "w", encoding="utf-8").write(
    f"<!DOCTYPE html><meta charset='utf-8'><style>{style}</style><pre>{html.escape(text)}</pre>")
PY
chromium_headless --screenshot="$img/dupipe-top.png" --window-size=1300,440 "file://$work/top.html"

for ((i = 0; i < 600; i++)); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
wait "$launcher" || { echo "the run failed: $(tail -5 "$work/stderr")" >&2; exit 1; }
launcher=""
chromium_headless --screenshot="$img/report-html.png" --window-size=1200,1900 \
  "file://$work/out/report.html"
echo "wrote $img/dupipe-top.png and $img/report-html.png"
