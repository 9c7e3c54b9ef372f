"""Shared by the directory-mode integration tests: a private work directory, corpus helpers that
take names as bytes, a launcher runner with a timeout, and report readers that decode path_b64.
Needs DUPIPE_BIN_DIR and DUPIPE_SOURCE_DIR (set by ctest)."""
import base64, json, os, shutil, subprocess, sys, tempfile

BIN = os.environ["DUPIPE_BIN_DIR"]
SOURCE = os.environ["DUPIPE_SOURCE_DIR"]
LAUNCHER = os.path.join(SOURCE, "scripts", "run_pipeline.sh")

# The published 128-byte MD5 collision pair (Wang, Feng, Lai, Yu 2004, as printed on Wikipedia's
# "MD5" page): six bytes differ, the MD5 is 79054025255fb1a26e4bc422aef54eb4 for both.
MD5_PAIR = (
    bytes.fromhex("d131dd02c5e6eec4693d9a0698aff95c2fcab58712467eab4004583eb8fb7f89"
                  "55ad340609f4b30283e488832571415a085125e8f7cdc99fd91dbdf280373c5b"
                  "d8823e3156348f5bae6dacd436c919c6dd53e2b487da03fd02396306d248cda0"
                  "e99f33420f577ee8ce54b67080a80d1ec69821bcb6a8839396f9652b6ff72a70"),
    bytes.fromhex("d131dd02c5e6eec4693d9a0698aff95c2fcab50712467eab4004583eb8fb7f89"
                  "55ad340609f4b30283e4888325f1415a085125e8f7cdc99fd91dbd7280373c5b"
                  "d8823e3156348f5bae6dacd436c919c6dd53e23487da03fd02396306d248cda0"
                  "e99f33420f577ee8ce54b67080280d1ec69821bcb6a8839396f965ab6ff72a70"))

problems = []


def expect(condition, message):
    if not condition:
        problems.append(message)


def finish():
    if problems:
        for p in problems:
            print("FAIL:", p, file=sys.stderr)
        sys.exit(1)
    print("ok")


class Work:
    """A temporary directory removed at exit; `root` is where corpora go."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="dupipe-dirtest.")
        os.chmod(self.path, 0o755)
        self.tmp = os.path.join(self.path, "tmp")
        os.mkdir(self.tmp)
        os.chmod(self.tmp, 0o1777)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for dirpath, dirnames, _ in os.walk(self.path):  # undo chmod 000 before removing
            for d in dirnames:
                os.chmod(os.path.join(dirpath, d), 0o755)
        shutil.rmtree(self.path)
        leftovers = os.listdir(self.tmp) if os.path.isdir(self.tmp) else []
        expect(not leftovers, f"run directory left behind: {leftovers}")

    def sub(self, name):
        p = os.path.join(self.path, name)
        os.makedirs(p, exist_ok=True)
        return p


def put(root, rel, data):
    """Writes bytes `data` at root/rel (rel may be bytes: any name)."""
    path = os.path.join(os.fsencode(root), os.fsencode(rel))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def run(work, args, prefix=(), env_extra=None, expect_rc=0, timeout=120, launcher=None, bin_dir=None):
    env = dict(os.environ, TMPDIR=work.tmp, **(env_extra or {}))
    cmd = list(prefix) + [launcher or LAUNCHER, "--bin-dir", bin_dir or BIN] + list(args)
    proc = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout)
    if proc.returncode != expect_rc:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(f"FAIL: {cmd} exited {proc.returncode}, expected {expect_rc}")
    return proc


def name_of(entry):
    """The exact bytes of a report name: path_b64 when present, else the UTF-8 path."""
    if "path_b64" in entry:
        return base64.b64decode(entry["path_b64"])
    return entry["path"].encode()


def load(out):
    with open(os.path.join(out, "report.json"), "rb") as f:
        return json.load(f)


def groups_of(report, root):
    """Groups as a set of frozensets of names relative to `root` (bytes)."""
    prefix = os.fsencode(root) + b"/"
    result = set()
    for g in report["groups"]:
        names = [name_of(f) for f in g["files"]]
        expect(all(n.startswith(prefix) for n in names), f"name outside {root}: {names}")
        result.add(frozenset(n[len(prefix):] for n in names))
    return result


def hardlinks_of(report, root):
    prefix = os.fsencode(root) + b"/"
    return {frozenset(name_of(f)[len(prefix):] for f in s["files"]) for s in report["hardlinks"]}


def failures_of(report, root):
    """{relative name: error} of every failure."""
    prefix = os.fsencode(root) + b"/"
    return {name_of(f)[len(prefix):]: f["error"] for f in report["failures"]}


def relative_report(out, root):
    """report.json with the root replaced by ROOT, to compare runs over different roots."""
    with open(os.path.join(out, "report.json"), "rb") as f:
        return f.read().replace(os.fsencode(root), b"ROOT")


def normalized(report, root):
    """The report with every name made relative to `root`, order kept: equal for equal runs."""
    prefix = os.fsencode(root) + b"/"
    rel = lambda entry: repr(name_of(entry)[len(prefix):])
    return {
        "summary": report["summary"],
        "groups": [(g["digest"], g["size"], [rel(f) for f in g["files"]]) for g in report["groups"]],
        "hardlinks": [[rel(f) for f in s["files"]] for s in report["hardlinks"]],
        "failures": [(rel(f), f["stage"], f["error"].replace(root, "ROOT")) for f in report["failures"]],
    }
