#!/usr/bin/env bash
# (a) The demo corpus, bad lines included, gives exactly the groups an independent sha256 oracle
# finds; (d) every bad line lands in failures with its reason, and the run exits 0.
source "$(dirname "$0")/harness.sh"
serve_demo_corpus
demo_url_list "$work/corpus" "$base_url" >"$work/urls.txt"
{
  echo "$base_url/_redirect_loop"
  echo "$base_url/_reset/100/images/photo.jpg"
  echo "file:///etc/passwd"
} >>"$work/urls.txt"

run_pipeline --out "$work/out" --fetchers 3 --hashers 2 "$work/urls.txt" >"$work/stdout" ||
  fail "run_pipeline exited $?"
grep -q "report.json" "$work/stdout" || fail "no report location printed"
expect_links_used
python3 "$(dirname "$0")/check_report.py" "$work/out/report.json" "$work/corpus" "$base_url" "$work/urls.txt" \
  "fetcher|no-such-file.txt|HTTP 404" \
  "fetcher|_status/500|HTTP 500" \
  "fetcher|:1/refused-port|connect" \
  "fetcher|_redirect_loop|redirect" \
  "fetcher|_reset/100|partial" \
  "producer|this is not a url|space" \
  "producer|ftp://|unsupported scheme" \
  "producer|file:///etc/passwd|--allow-file" \
  "producer|docs/menu.txt|repeat of line"
[[ -z $(find "$work/out/files" -name '.part-*') ]] || fail "a temporary file was left in files/"
expect_no_leftovers
