#!/usr/bin/env python3
"""man_test.py MAN_DIR BIN_DIR: every man page of docs/man renders without a warning
(mandoc -T lint -W warning prints nothing), and every option a program's --help lists appears in
its page, so the pages cannot drift from the programs: dupipe(1) against dupipe-supervise, the
tools against their own pages (dupipe-shm with each subcommand's --help), the stages against
dupipe-stages(7). Exit 1 listing every problem."""
import os
import re
import subprocess
import sys

PAGES = {
    "dupipe.1": [["dupipe-supervise"]],
    "dupipe-top.1": [["dupipe-top"]],
    "dupipe-html.1": [["dupipe-html"]],
    "dupipe-shm.1": [["dupipe-shm"]] + [["dupipe-shm", sub] for sub in
                                         ("create", "release", "create-stats", "stages", "stat",
                                          "orphans", "remove", "cleanup")],
    "dupipe-stages.7": [[stage] for stage in ("producer", "walker", "fetcher", "hasher", "grouper",
                                              "aggregator")],
    "dupipe-protocol.5": [],
    "dupipe-report.5": [],
}
# Long options, and short ones as CLI11 lists them ("  -o,--out"): not a '-' inside a word.
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z](?=[ ,]))")


def rendered(page):
    text = subprocess.run(["mandoc", "-T", "ascii", page], check=True, capture_output=True).stdout
    return re.sub(rb".\x08", b"", text).decode()  # overstrike (bold, underline) removed


def help_options(bin_dir, argv):
    result = subprocess.run([os.path.join(bin_dir, argv[0])] + argv[1:] + ["--help"],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} --help exited {result.returncode}: {result.stderr}")
    return set(OPTION.findall(result.stdout))


def main():
    man_dir, bin_dir = sys.argv[1:3]
    problems = []
    present = sorted(p for p in os.listdir(man_dir) if re.search(r"\.[1-8]$", p))
    if present != sorted(PAGES):
        problems.append(f"pages in {man_dir}: {present}, the test knows {sorted(PAGES)}")
    for page, programs in PAGES.items():
        path = os.path.join(man_dir, page)
        lint = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", path], capture_output=True, text=True)
        if lint.returncode != 0 or lint.stdout or lint.stderr:
            problems.append(f"{page}: mandoc -T lint -W warning (exit {lint.returncode}):\n"
                            f"{lint.stdout}{lint.stderr}")
        text = rendered(path)
        words = set(re.findall(r"(?<![\w-])-{1,2}[a-zA-Z][a-zA-Z0-9-]*", text))
        for argv in programs:
            missing = sorted(help_options(bin_dir, argv) - words)
            if missing:
                problems.append(f"{page}: options of `{' '.join(argv)} --help` not in the page: {missing}")
    for problem in problems:
        print("FAIL:", problem, file=sys.stderr)
    if not problems:
        print(f"man: {len(PAGES)} pages lint clean and list every option of their programs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
