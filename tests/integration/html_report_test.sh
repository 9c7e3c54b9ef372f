#!/usr/bin/env bash
# OUT/report.html: written by every URL-mode run, one self-contained page. Headless Chromium
# (--dump-dom) shows every duplicate group of report.json in the report's order (wasted bytes,
# largest first), every failure, hostile URL text as text (no injected element), the timeline with
# a lane per process; the page's script sorts the groups (#sort=wasted-asc); and it renders to a
# PNG (--screenshot). Chromium missing is a failure, not a skip.
source "$(dirname "$0")/harness.sh"
# shellcheck source=../../scripts/lib/chromium.sh
source "$DUPIPE_SOURCE_DIR/scripts/lib/chromium.sh"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/test.sh installs it)"
serve_demo_corpus
{
  demo_url_list "$work/corpus" "$base_url"
  echo "$base_url/misc/data.json?q=<script>alert(1)</script>"
  echo "<img src=x onerror=alert(2)>&amp;"
  echo "$base_url/_drip/400000/images/photo.jpg?copy=slow"
} >"$work/urls.txt"

run_pipeline --out "$work/out" --fetchers 2 --hashers 2 "$work/urls.txt" >"$work/stdout"
page=$work/out/report.html
[[ -s $page ]] || fail "no $page"
grep -q "^HTML report: $page" "$work/stdout" || fail "the launcher did not name the page: $(cat "$work/stdout")"
[[ -s $work/out/timeline.jsonl ]] || fail "no timeline recorded"

chromium_headless --dump-dom "file://$page" >"$work/dom.html" || fail "chromium --dump-dom failed"
chromium_headless --dump-dom "file://$page#sort=wasted-asc" >"$work/dom-asc.html" ||
  fail "chromium --dump-dom (sorted) failed"
chromium_headless --screenshot="$work/report.png" --window-size=1200,1800 "file://$page" ||
  fail "chromium --screenshot failed"

python3 - "$work/out/report.json" "$work/dom.html" "$work/dom-asc.html" "$work/report.png" \
  "$work/out/stages.jsonl" <<'PY' || fail "the rendered page is not the report"
import html.parser, json, struct, sys

class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.digests, self.wasted, self.failures, self.tags, self.text = [], [], 0, [], []
        self.in_digest = False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "tr" and a.get("class") == "group":
            self.wasted.append(int(a["data-wasted"]))
        if tag == "tr" and a.get("class") == "failure":
            self.failures += 1
        self.in_digest = tag == "code" and a.get("class") == "digest"
    def handle_data(self, data):
        self.text.append(data)
        if self.in_digest:
            self.digests.append(data)
            self.in_digest = False

def parse(path):
    page = Page()
    page.feed(open(path, encoding="utf-8").read())
    return page

report = json.load(open(sys.argv[1]))
page, ascending = parse(sys.argv[2]), parse(sys.argv[3])
stages = [json.loads(line) for line in open(sys.argv[5])]
bad = []
expected = [g["digest"] for g in report["groups"]]
if len(expected) < 4:
    bad.append(f"the demo corpus should give 4+ groups, report has {len(expected)}")
if page.digests != expected:
    bad.append(f"groups on the page {page.digests}, report {expected}")
if page.wasted != sorted(page.wasted, reverse=True):
    bad.append(f"groups not by wasted bytes, largest first: {page.wasted}")
if ascending.wasted != sorted(page.wasted) or sorted(ascending.digests) != sorted(expected):
    bad.append(f"#sort=wasted-asc did not sort: {ascending.wasted}")
if page.failures != len(report["failures"]) or page.failures < 5:
    bad.append(f"{page.failures} failure rows, report has {len(report['failures'])}")
text = "".join(page.text)
for hostile in ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>&amp;"):
    if hostile not in text:
        bad.append(f"hostile text {hostile!r} not shown as text")
if page.tags.count("script") != 1 or "img" in page.tags or "link" in page.tags:
    bad.append(f"unexpected elements: {page.tags.count('script')} scripts, img {'img' in page.tags}")
for s in stages:
    if f"{s['role']} {s['pid']}" not in text:
        bad.append(f"no timeline lane for {s['role']} {s['pid']}")
if "rect" not in page.tags or "svg" not in page.tags:
    bad.append("no SVG timeline")
png = open(sys.argv[4], "rb").read()
if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 20000:
    bad.append(f"screenshot is not a PNG of a page ({len(png)} bytes)")
else:
    width, height = struct.unpack(">II", png[16:24])
    if (width, height) != (1200, 1800):
        bad.append(f"screenshot is {width}x{height}")
for line in bad:
    print(line, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

# The page is a view: a run whose page cannot be written (here a directory is in its way) still
# succeeds, with its JSON and text reports, and says why there is no page.
head -n 3 "$work/urls.txt" >"$work/few.txt"
mkdir -p "$work/blocked/report.html"
run_pipeline --out "$work/blocked" --fetchers 1 --hashers 1 "$work/few.txt" >"$work/blocked.stdout" \
  2>"$work/blocked.stderr" || fail "a run whose page could not be written failed: $(tail -n 5 "$work/blocked.stderr")"
grep -q "could not write $work/blocked/report.html (the JSON and text reports are complete)" \
  "$work/blocked.stderr" || fail "no word of the missing page: $(tail -n 5 "$work/blocked.stderr")"
python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["complete"] else 1)' \
  "$work/blocked/report.json" || fail "the blocked run's report is not complete"
expect_no_leftovers
