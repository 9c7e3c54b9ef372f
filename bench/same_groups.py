#!/usr/bin/env python3
"""Reads the duplicate groups each tool printed and says whether they all agree with dupipe.
Usage: same_groups.py DUPIPE_REPORT_JSON TOOL=FORMAT:FILE...   (FORMAT: blank, rdfind, json)"""
import base64, json, os, sys


def blank_separated(path):
    groups, current = [], []
    for line in open(path, "rb").read().split(b"\n"):
        if line.strip() == b"":
            if current:
                groups.append(current)
            current = []
        else:
            current.append(line)
    if current:
        groups.append(current)
    return groups


def rdfind(path):
    by_id = {}
    for line in open(path, "rb"):
        if line.startswith(b"#"):
            continue
        fields = line.rstrip(b"\n").split(b" ", 7)
        by_id.setdefault(abs(int(fields[1])), []).append(fields[7])
    return [g for g in by_id.values() if len(g) > 1]


def dupipe(path):
    report = json.load(open(path))
    name = lambda f: base64.b64decode(f["path_b64"]) if "path_b64" in f else f["path"].encode()
    return [[name(f) for f in g["files"]] for g in report["groups"]]


def canonical(groups):
    return {frozenset(os.path.realpath(p) for p in g) for g in groups}


def main():
    reference = canonical(dupipe(sys.argv[1]))
    ok = True
    for spec in sys.argv[2:]:
        tool, rest = spec.split("=", 1)
        fmt, path = rest.split(":", 1)
        read = {"rdfind": rdfind, "json": dupipe, "blank": blank_separated}[fmt]
        groups = canonical(read(path))
        same = groups == reference
        ok &= same
        print(f"  {tool}: {len(groups)} groups, {'same as dupipe' if same else 'DIFFERENT from dupipe'}"
              + ("" if same else f" ({len(groups - reference)} only theirs, {len(reference - groups)} only ours)"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
