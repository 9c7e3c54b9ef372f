#!/usr/bin/env bash
# (c) The producer replaced by `cat` and the hasher by a sha256sum shell script give the same
# report as the dupipe stages.
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
corpus_urls "$work/corpus" "$base_url" >"$work/urls.txt"

run_pipeline --out "$work/out" "$work/urls.txt" >/dev/null || fail "dupipe stages: exit $?"
cp "$work/out/report.json" "$work/native.json"
run_pipeline --out "$work/out" --hashers 3 --producer-cmd cat \
  --hasher-cmd "$DUPIPE_SOURCE_DIR/scripts/examples/sha256_hasher.sh" "$work/urls.txt" >/dev/null ||
  fail "stand-in stages: exit $?"
diff -u "$work/native.json" "$work/out/report.json" || fail "reports differ"
python3 "$(dirname "$0")/check_report.py" "$work/out/report.json" "$work/corpus" "$base_url" "$work/urls.txt"
expect_no_leftovers
