#!/usr/bin/env bash
# The same URL list over every link a FIFO, every link a shared-memory queue, and two mixes gives
# byte-identical reports (same OUT, so the paths in them agree too).
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
demo_url_list "$work/corpus" "$base_url" >"$work/urls.txt"
script=$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh

run_with() {  # NAME LAUNCHER_OPTIONS...
  local name=$1
  shift
  rm -rf -- "$work/out"
  "$script" --bin-dir "$DUPIPE_BIN_DIR" --run-id "$test_run_id-$name" --out "$work/out" \
    --fetchers 3 --hashers 2 "$@" "$work/urls.txt" >/dev/null 2>"$work/$name.stderr" ||
    fail "$name: exit $?: $(tail -3 "$work/$name.stderr")"
  cp "$work/out/report.json" "$work/$name.json"
}

run_with fifo --transport fifo
run_with shm --transport shm
run_with shm_paths_fifo --transport shm --link paths=fifo
run_with fifo_paths_shm --transport fifo --link paths=shm
grep -q 'urls=fifo .* paths=shm .* digests=fifo' "$work/fifo_paths_shm.stderr" ||
  fail "mixed run did not report its links: $(cat "$work/fifo_paths_shm.stderr")"
for name in shm shm_paths_fifo fifo_paths_shm; do
  diff -u "$work/fifo.json" "$work/$name.json" || fail "report over $name differs from fifo"
done
python3 "$(dirname "$0")/check_report.py" "$work/shm.json" "$work/corpus" "$base_url" "$work/urls.txt" \
  "fetcher|no-such-file.txt|HTTP 404" "producer|ftp://|unsupported scheme"
expect_no_leftovers
