#!/usr/bin/env python3
"""same_report.py EXPECTED_OUT ACTUAL_OUT: the two runs' reports agree on everything a rerun must
reproduce (complete, summary, groups by URL and size/digest, failures by url/stage/error), and the
actual report's summary adds up. Paths are compared relative to each run's OUT/files, since the two
runs use different OUT directories. Exit 1 with the differences otherwise."""
import json
import os
import sys


def normalised(out):
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    files = os.path.join(os.path.realpath(out), "files") + "/"
    groups = sorted(
        (g["digest"], g["size"], tuple(sorted((x["url"], x["path"].replace(files, "")) for x in g["files"])))
        for g in report["groups"])
    failures = sorted((x["url"], x["stage"], x["error"]) for x in report["failures"])
    return report, groups, failures


def main():
    expected_out, actual_out = sys.argv[1:3]
    expected, expected_groups, expected_failures = normalised(expected_out)
    actual, actual_groups, actual_failures = normalised(actual_out)
    problems = []
    if actual.get("complete") is not True:
        problems.append(f"complete is {actual.get('complete')!r}")
    if actual["summary"] != expected["summary"]:
        problems.append(f"summary {actual['summary']} != {expected['summary']}")
    s = actual["summary"]
    if s["urls"] != s["fetched"] + s["failed"] + s["rejected"]:
        problems.append(f"summary does not add up: {s}")
    if s["failed"] + s["rejected"] != len(actual["failures"]):
        problems.append(f"{len(actual['failures'])} failures listed, summary says {s['failed'] + s['rejected']}")
    if actual_groups != expected_groups:
        problems.append(f"groups differ: {len(actual_groups)} vs {len(expected_groups)}; only in actual: "
                        f"{sorted(set(actual_groups) - set(expected_groups))[:3]}; only in expected: "
                        f"{sorted(set(expected_groups) - set(actual_groups))[:3]}")
    if actual_failures != expected_failures:
        problems.append(f"failures differ; only in actual: {sorted(set(actual_failures) - set(expected_failures))[:5]}; "
                        f"only in expected: {sorted(set(expected_failures) - set(actual_failures))[:5]}")
    for problem in problems:
        print("FAIL:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
