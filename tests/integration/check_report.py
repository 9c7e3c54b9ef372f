#!/usr/bin/env python3
"""Checks a dupipe report.json against an independent oracle: the corpus files grouped by their
SHA-256, and the expected failures. Usage: check_report.py REPORT CORPUS BASE_URL URLS_FILE"""
import hashlib, json, os, sys, urllib.parse

report_path, corpus, base_url, urls_file = sys.argv[1:5]
report = json.load(open(report_path))
problems = []

def expect(condition, message):
    if not condition:
        problems.append(message)

by_digest = {}
for dirpath, _, names in os.walk(corpus):
    for name in names:
        path = os.path.join(dirpath, name)
        rel = os.path.relpath(path, corpus)
        data = open(path, "rb").read()
        url = base_url + "/" + urllib.parse.quote(rel)
        by_digest.setdefault((len(data), hashlib.sha256(data).hexdigest()), []).append(url)
expected_groups = {frozenset(u) for u in by_digest.values() if len(u) > 1}
actual_groups = {frozenset(f["url"] for f in g["files"]) for g in report["groups"]}
expect(actual_groups == expected_groups, f"groups differ:\n expected {expected_groups}\n actual {actual_groups}")

for g in report["groups"]:
    key = (g["size"], g["digest"])
    expect(key in by_digest, f"group {key} matches no corpus content")
    expect([f["url"] for f in g["files"]] == sorted(f["url"] for f in g["files"]), "files not sorted by url")
    for f in g["files"]:
        expect(os.path.isfile(f["path"]) and os.path.getsize(f["path"]) == g["size"], f"bad file {f['path']}")
wasted = [g["size"] * (len(g["files"]) - 1) for g in report["groups"]]
expect(wasted == sorted(wasted, reverse=True), "groups not sorted by wasted bytes")

lines = [l.strip() for l in open(urls_file, encoding="utf-8", errors="replace")]
counted = [l for l in lines if l and not l.startswith("#")]
s = report["summary"]
expect(s["urls"] == len(counted), f"summary.urls {s['urls']} != {len(counted)} input lines")
expect(s["urls"] == s["fetched"] + s["failed"] + s["rejected"], "urls != fetched + failed + rejected")
expect(s["duplicate_groups"] == len(expected_groups), "duplicate_groups")
expect(s["duplicate_files"] == sum(len(g) - 1 for g in expected_groups), "duplicate_files")
expect(s["wasted_bytes"] == sum(wasted), "wasted_bytes")
expect(report["version"] == 1 and report["algorithm"] == "sha256", "version/algorithm")

for expectation in sys.argv[5:]:  # "stage|url-substring|error-substring"
    stage, url_part, error_part = expectation.split("|")
    expect(any(f["stage"] == stage and url_part in f["url"] and error_part in f["error"]
               for f in report["failures"]), f"no failure {expectation}: {report['failures']}")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"report OK: {s}")
