#!/usr/bin/env bash
# A full disk (issue 5): OUT on a small tmpfs the test mounts. A first run writes a good report;
# the disk is then filled and a second run must fail with an error naming the path and "No space
# left on device", leave no truncated report behind, and keep the previous report byte for byte;
# so must the aggregator run alone, when its report and when its journal cannot be written.
source "$(dirname "$0")/harness.sh"
disk=$work/disk
mkdir -p "$disk"
if ! mount -t tmpfs -o size=4m,mode=0700 dupipe-enospc "$disk" 2>"$work/mount.err"; then
  echo "SKIP: cannot mount a tmpfs here ($(cat "$work/mount.err")); the ENOSPC case needs root" >&2
  exit 77
fi
unmount() { umount "$disk" 2>/dev/null || umount -l "$disk" 2>/dev/null || true; }
trap 'unmount; on_exit' EXIT
serve_demo_corpus
demo_url_list "$work/corpus" "$base_url" | grep -v photo >"$work/urls.txt"

run_pipeline --out "$disk/out" "$work/urls.txt" >/dev/null 2>&1 || fail "the first run failed"
cp "$disk/out/report.json" "$work/good-report.json"
cp "$disk/out/report.txt" "$work/good-report.txt"

# Fill the disk, then try again with more URLs than there is room for. The recovery state goes
# first: the new run would remove it and so free the room a report needs. (The launcher's copy
# of the URL list is the first write to fail; the aggregator's own writes are tried below.)
cp "$disk/out/.dupipe/journal" "$work/records"
rm -rf -- "$disk/out/.dupipe"
dd if=/dev/zero of="$disk/filler" bs=64k 2>/dev/null || true
for ((i = 0; i < 20; i++)); do echo "$base_url/images/photo.jpg?n=$i"; done >>"$work/urls.txt"
status=0
run_pipeline --max-restarts 1 --out "$disk/out" "$work/urls.txt" >/dev/null 2>"$work/full.stderr" || status=$?
[[ $status -ne 0 ]] || fail "a run on a full disk reported success"
grep -q "$disk/out[^ ]*: .*No space left on device" "$work/full.stderr" ||
  fail "no error naming a path under $disk/out and ENOSPC (exit $status); stderr ($(wc -l <"$work/full.stderr") lines) ends: $(tail -n 20 "$work/full.stderr")"
cmp -s "$disk/out/report.json" "$work/good-report.json" || fail "report.json changed on a full disk"
cmp -s "$disk/out/report.txt" "$work/good-report.txt" || fail "report.txt changed on a full disk"
left=$(find "$disk/out" -maxdepth 1 -name '*.tmp*')  # write_file_atomically's and the launcher's temporary names
[[ -z $left ]] || fail "temporary report files left: $left"

# The aggregator alone on the full disk, fed the first run's records: its report, then its
# journal, cannot be written. Each must fail naming the file, and leave the old report as it was.
aggregator_on_full_disk() {
  local status=0
  "$DUPIPE_BIN_DIR/aggregator" --out "$disk/out" --algo sha256 "$@" --in - <"$work/records" \
    2>"$work/aggregator.stderr" || status=$?
  [[ $status -eq 1 ]] || fail "aggregator $* on a full disk: exit $status, expected 1 (I/O error)"
  cmp -s "$disk/out/report.json" "$work/good-report.json" || fail "aggregator $*: report.json changed"
  cmp -s "$disk/out/report.txt" "$work/good-report.txt" || fail "aggregator $*: report.txt changed"
}
aggregator_on_full_disk
grep -q "write to $disk/out/report.json.tmp.[0-9]*: No space left on device" "$work/aggregator.stderr" ||
  fail "the aggregator's report on a full disk: $(cat "$work/aggregator.stderr")"
aggregator_on_full_disk --journal "$disk/out/journal"
grep -q "write to journal $disk/out/journal: No space left on device" "$work/aggregator.stderr" ||
  fail "the aggregator's journal on a full disk: $(cat "$work/aggregator.stderr")"
left=$(find "$disk/out" -maxdepth 1 -name '*.tmp*')
[[ -z $left ]] || fail "temporary report files left by the aggregator: $left"

echo "enospc: $(grep -c 'No space left' "$work/full.stderr") ENOSPC errors reported by the run, the aggregator's report and journal refused, previous report intact"
expect_no_leftovers
