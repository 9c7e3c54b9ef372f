#!/usr/bin/env bash
# Crawl feedback from the real fetcher (curl) and the test server: a text/html page's links,
# resolved against the URL it came from after redirects, then its D record; a text/plain body
# gives no links; a 404 gives a failed D record. Each page's P or F record is on the data link.
# A text/html page's D record ends with its content digest (XXH3-64 of the page, 16 hex digits).
source "$(dirname "$0")/fetch_lib.sh"
serve_fixtures
mkdir -p "$work/root/dir"
printf '%s' '<a href="b.html">b</a> <!-- <a href="hidden.html"> --> <a href="../up.html#part">up</a>' \
  >"$work/root/dir/index.html"
printf '%s' '<a href="never.html">not html</a>' >"$work/root/plain.txt"
printf '%s\n' "$base_url/_redirect/1/dir/index.html" "$base_url/plain.txt" "$base_url/missing.html" \
  >"$work/urls.txt"
: >"$work/links"
fetch "$work/out/files" --links-out "$work/links" <"$work/urls.txt" || fail "fetcher failed: $(cat "$work/stderr")"

[[ $(grep -c '^P' "$work/records") -eq 2 && $(grep -c '^F' "$work/records") -eq 1 ]] ||
  fail "expected 2 P records and 1 F record: $(cat "$work/records")"
id_of() { record_for "$1" | cut -f2; }
page=$(id_of /_redirect/1/dir/index.html)
plain=$(id_of /plain.txt)
missing=$(id_of /missing.html)
digest=$(grep -P "^D\t$page\t" "$work/links" | cut -f5)
[[ $digest =~ ^[0-9a-f]{16}$ ]] || fail "the page's D record has no content digest: $(cat "$work/links")"
expected=$(printf 'A\t%s\t%s\nA\t%s\t%s\nD\t%s\t2\tfetched\t%s\n' \
  "$page" "$base_url/dir/b.html" "$page" "$base_url/up.html" "$page" "$digest")
# Pages finish in any order: compare each page's lines, which keep their order per page.
[[ $(grep -P "\t$page\t" "$work/links") == "$expected" ]] ||
  fail "links of the redirected page: $(cat "$work/links")"
[[ $(grep -P "\t$plain\t" "$work/links") == "$(printf 'D\t%s\t0\tfetched' "$plain")" ]] ||
  fail "a text/plain body gave links: $(cat "$work/links")"
[[ $(grep -P "\t$missing\t" "$work/links") == "$(printf 'D\t%s\t0\tfailed' "$missing")" ]] ||
  fail "a 404 is not a failed page: $(cat "$work/links")"
[[ $(wc -l <"$work/links") -eq 5 ]] || fail "unexpected lines on the links endpoint: $(cat "$work/links")"
echo "fetch_links: ok"
