#!/usr/bin/env bash
# Local security (docs/SECURITY.md): the run directory is private (mktemp -d, 0700) and its FIFOs
# are 0600; a FIFO name or a shared-memory segment that already exists (planted by another user)
# makes the launcher refuse with a clear message and leaves the planted object alone; symbolic
# links planted in OUT are never written through, a symlinked OUT/files is refused.
source "$(dirname "$0")/fetch_lib.sh"
serve_fixtures
script=$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh
echo "payload" >"$work/root/a.txt"

# 1. A slow run: while it goes, the run directory is 0700 and each link a FIFO of mode 0600.
# Slow enough (1.5 s per URL) that the checks below see the run going even on a loaded machine.
for i in 1 2; do echo "$base_url/_slow/1500/a.txt?copy=$i"; done >"$work/slow.txt"
"$script" --bin-dir "$DUPIPE_BIN_DIR" --transport fifo --out "$work/out1" "$work/slow.txt" \
  >/dev/null 2>"$work/slow.stderr" &
launcher=$!
for ((i = 0; i < 100; i++)); do
  grep -q 'links:' "$work/slow.stderr" && break
  sleep 0.1
done
run_dir=$(sed -n 's/^run_pipeline: run directory \([^;]*\);.*/\1/p' "$work/slow.stderr")
[[ -n $run_dir && -d $run_dir ]] || fail "no run directory reported: $(cat "$work/slow.stderr")"
[[ ${run_dir%/*} == "$TMPDIR" && ${run_dir##*/} == dupipe-run.* ]] || fail "run directory $run_dir is not a mktemp name under TMPDIR"
[[ $(stat -c '%a %U' "$run_dir") == "700 $(id -un)" ]] || fail "run directory mode/owner: $(stat -c '%a %U' "$run_dir")"
for link in urls paths digests; do
  [[ -p $run_dir/$link ]] || fail "$run_dir/$link is not a FIFO"
  [[ $(stat -c %a "$run_dir/$link") == 600 ]] || fail "FIFO $link has mode $(stat -c %a "$run_dir/$link")"
done
wait "$launcher" || fail "the slow run failed: $(cat "$work/slow.stderr")"
expect_no_leftovers

# 2. A FIFO name that already exists (another user's FIFO planted where a link goes) is refused
# by the supervisor's FifoLink::create, which names the path and neither opens nor removes it:
# the run directory's name is unpredictable, so that case is a unit test
# (tests/unit/supervisor/run_directory_test.cpp).

# 3. A shared-memory segment with the run's name, owned by another user: the launcher exits 1
# naming it, before any stage starts, and leaves it alone; the same for the stats area.
for name in urls stats; do
  intruder=/dev/shm/dupipe-$test_run_id-p$name-$name
  printf 'not ours' >"$intruder"
  chown nobody "$intruder" 2>/dev/null || true
  status=0
  "$script" --bin-dir "$DUPIPE_BIN_DIR" --transport shm --run-id "$test_run_id-p$name" \
    --out "$work/out3" "$work/slow.txt" >/dev/null 2>"$work/shm.stderr" || status=$?
  [[ $status -eq 1 ]] || fail "exit status $status with a planted $name segment, expected 1"
  grep -q "cannot create shared-memory segment $intruder.*refusing to run" "$work/shm.stderr" ||
    fail "no clear refusal for $name: $(cat "$work/shm.stderr")"
  grep -qi "exists" "$work/shm.stderr" || fail "the refusal does not say the name exists: $(cat "$work/shm.stderr")"
  ! grep -q 'started producer' "$work/shm.stderr" || fail "stages started despite the planted $name segment"
  [[ $(cat "$intruder") == 'not ours' ]] || fail "the planted $name segment was changed or removed"
  rm -f -- "$intruder"
  expect_no_leftovers
done

# 4. Symbolic links planted in OUT/files: neither the final name nor the temporary name is
# written through; the victims keep their bytes.
url=$base_url/a.txt
id=$(printf %s "$url" | sha256sum | cut -c1-16)
url2="$base_url/a.txt?second"
id2=$(printf %s "$url2" | sha256sum | cut -c1-16)
mkdir -p "$work/out4/files"
echo "victim" >"$work/victim"
echo "victim2" >"$work/victim2"
ln -s "$work/victim" "$work/out4/files/$id-a.txt"
ln -s "$work/victim2" "$work/out4/files/.part-$id2"
printf '%s\n' "$url" "$url2" | fetch "$work/out4/files"
[[ $(cat "$work/victim") == victim && $(cat "$work/victim2") == victim2 ]] || fail "a planted symlink was written through"
expect_file /a.txt "$work/root/a.txt"
[[ ! -L $work/out4/files/$id-a.txt ]] || fail "the planted final name is still a symlink"
record=$(record_for "/a.txt?second")
[[ $record == F$'\t'* && $record == *"cannot create temporary file"*"Too many levels of symbolic links"* ]] ||
  fail "the planted temporary name was not refused: '$record'"

# 5. OUT/files itself a symlink (to a directory the attacker reads): through the launcher every
# URL fails with the reason in the report, and nothing lands in the link's target.
mkdir -p "$work/out5" "$work/elsewhere"
ln -s "$work/elsewhere" "$work/out5/files"
echo "$url" >"$work/one.txt"
"$script" --bin-dir "$DUPIPE_BIN_DIR" --out "$work/out5" --retries 0 "$work/one.txt" \
  >/dev/null 2>"$work/symdir.stderr" || fail "run with a symlinked OUT/files failed: $(cat "$work/symdir.stderr")"
python3 - "$work/out5/report.json" <<'PY' || fail "report of the symlinked OUT/files run"
import json, sys
report = json.load(open(sys.argv[1]))
failures = report["failures"]
assert report["summary"]["fetched"] == 0 and len(failures) == 1, report
assert "is a symbolic link; refusing to write through it" in failures[0]["error"], failures
PY
[[ -z $(ls -A "$work/elsewhere") ]] || fail "files were written through the symlinked OUT/files: $(ls -A "$work/elsewhere")"
expect_no_leftovers
