#!/usr/bin/env python3
"""Directory mode end to end: the launcher with --dir over corpora built here, exact groups
expected for each case. Usage: directory_mode_test.py CASE (see CASES at the bottom)."""
import hashlib, os, shutil, stat, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from directory_support import *  # noqa: E402,F403

BIG = 100000  # above kWholeFileBytes (64 KiB): its edges are compared before it is read on


def pattern(seed, size):
    """Deterministic bytes that differ between seeds."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def build_content_corpus(root):
    """Files whose pairs differ in chosen places; the duplicates are d*, t* and n*."""
    big = pattern("big", BIG)
    put(root, "d1", big)
    put(root, "sub/d2", big)
    put(root, "sub/deeper/d3", big)
    put(root, "last", big[:-1] + b"\x00")       # differs from d* in the last byte only
    put(root, "first", b"\x00" + big[1:])       # ... in the first byte only
    put(root, "middle", big[:BIG // 2] + b"\x00" + big[BIG // 2 + 1:])  # same edges, other middle
    put(root, "s1", b"aaaa")                     # same size, different content
    put(root, "s2", b"bbbb")
    put(root, "t1", b"small duplicate\n")
    put(root, "t2", b"small duplicate\n")
    put(root, "unique", b"nothing else is 29 bytes long")
    put(root, "e1", b"")
    put(root, "e2", b"")


def case_contents():
    with Work() as work:
        root = work.sub("c")
        build_content_corpus(root)
        out = os.path.join(work.path, "out")
        run(work, ["--dir", root, "--out", out])
        report = load(out)
        expect(groups_of(report, root) == {frozenset({b"d1", b"sub/d2", b"sub/deeper/d3"}),
                                           frozenset({b"t1", b"t2"})},
               f"groups: {groups_of(report, root)}")
        s = report["summary"]
        expect(s["files"] == 13 and s["empty"] == 2 and s["failed"] == 0, f"summary {s}")
        # 'unique' is the only file of its size; s1/s2, t1/t2 and the six BIG-byte files share
        # a size; 'last' and 'first' are ruled out by the partial digest, 'middle' by the full one.
        expect(s["unique_size"] == 1, f"unique_size {s}")
        expect(s["unique_partial"] == 2, f"unique_partial {s}")
        expect(s["duplicate_files"] == 3 and s["wasted_bytes"] == 2 * BIG + 16, f"wasted {s}")
        expect(report["mode"] == "dir" and report["algorithm"] == "sha256", "mode/algorithm")
        # Read in full: d1-d3 and 'middle' (its edges match), and the four small same-size files;
        # only for their edges, 2 x 4 KiB of 'last' and 'first' (the edges of the others are the
        # start and end of their full digests, read once).
        expect(s["bytes_hashed"] == 4 * BIG + 2 * 4 + 2 * 16, f"bytes_hashed {s}")
        expect(s["bytes_partial"] == 2 * 8192, f"bytes_partial {s}")
        # The report contract of URL mode, with `path` set and `url` absent.
        entries = [f for g in report["groups"] for f in g["files"]]
        expect(entries and all("path" in f and "url" not in f for f in entries), f"entries {entries}")
        d = [g for g in report["groups"] if g["size"] == BIG][0]
        expect(d["digest"] == hashlib.sha256(pattern("big", BIG)).hexdigest(), "digest of d*")
        # --include-empty: the two empty files (physical files of size 0) form one group.
        run(work, ["--dir", root, "--out", out, "--include-empty"])
        expect(frozenset({b"e1", b"e2"}) in groups_of(load(out), root), "empty files not grouped")


def case_algorithms():
    with Work() as work:
        root = work.sub("c")
        build_content_corpus(root)
        for algo, fn in [("md5", hashlib.md5), ("sha1", hashlib.sha1),
                         ("blake2b", hashlib.blake2b), ("xxh128", None)]:
            out = os.path.join(work.path, "out-" + algo)
            run(work, ["--dir", root, "--out", out, "--algo", algo])
            report = load(out)
            expect(report["algorithm"] == algo, f"{algo}: algorithm {report['algorithm']}")
            expect(groups_of(report, root) == {frozenset({b"d1", b"sub/d2", b"sub/deeper/d3"}),
                                               frozenset({b"t1", b"t2"})}, f"{algo}: groups")
            if fn:
                g = [g for g in report["groups"] if g["size"] == BIG][0]
                expect(g["digest"] == fn(pattern("big", BIG)).hexdigest(), f"{algo}: digest")
        xxhsum = shutil.which("xxhsum")
        if xxhsum:  # an independent implementation, when installed
            line = subprocess.run([xxhsum, "-H2", os.path.join(root, "d1")], capture_output=True).stdout.split()
            g = [g for g in load(os.path.join(work.path, "out-xxh128"))["groups"] if g["size"] == BIG][0]
            expect(line and g["digest"] == line[0].decode().split("_")[-1], f"xxh128 vs xxhsum: {line}")


def case_names():
    """Names with newline, tab, backslash and invalid UTF-8 come back byte for byte."""
    with Work() as work:
        root = work.sub("n")
        names = [b"new\nline", b"tab\there", b"back\\slash", b"bad\xff\xfe", b"caf\xc3\xa9", b"-dash"]
        for n in names:
            put(root, n, b"same content for odd names\n")
        out = os.path.join(work.path, "out")
        run(work, ["--dir", root, "--out", out, "--format", "nul,fdupes,csv"])
        report = load(out)
        expect(groups_of(report, root) == {frozenset(names)}, f"groups {groups_of(report, root)}")
        entries = report["groups"][0]["files"]
        expect(all(("path_b64" in e) == (b"\xff" in name_of(e)) for e in entries), "path_b64 only when not UTF-8")
        with open(os.path.join(out, "report.nul"), "rb") as f:
            nul = f.read()
        expect(nul.endswith(b"\0\0"), "nul: group ends with an empty name")
        rels = {n[len(os.fsencode(root)) + 1:] for n in nul[:-2].split(b"\0")}
        expect(rels == set(names), f"nul names {rels}")
        with open(os.path.join(out, "report.fdupes"), "rb") as f:
            fdupes = f.read().split(b"\n")
        expect(len(fdupes) == len(names) + 1 and fdupes[-1] == b"", f"fdupes lines {fdupes}")
        expect(os.fsencode(root) + b"/new\\nline" in fdupes and os.fsencode(root) + b"/back\\\\slash" in fdupes,
               "fdupes escapes newline and backslash")
        import csv, io
        with open(os.path.join(out, "report.csv"), "rb") as f:
            rows = list(csv.reader(io.TextIOWrapper(f, encoding="utf-8", errors="surrogateescape", newline="")))
        expect(rows[0] == ["group", "size", "digest", "path"], f"csv header {rows[0]}")
        csv_names = {os.fsencode(r[3])[len(os.fsencode(root)) + 1:] for r in rows[1:]}
        expect(csv_names == set(names), f"csv names {csv_names}")


def case_roots():
    """The same root twice, and a root inside another, give the report of the root alone."""
    with Work() as work:
        root = work.sub("r")
        build_content_corpus(root)
        out = os.path.join(work.path, "out")
        run(work, ["--dir", root, "--out", out])
        alone = load(out)
        for extra in (["--dir", root], ["--dir", os.path.join(root, "sub")],
                      ["--dir", os.path.join(root, "sub", "..")]):
            run(work, ["--dir", root] + extra + ["--out", out])
            again = load(out)
            expect(again == alone, f"--dir {root} {extra}: report differs")
        for g in alone["groups"]:
            names = [name_of(f) for f in g["files"]]
            expect(len(set(names)) == len(names), f"a file is its own duplicate: {names}")
        # A nested root given first: the files are still found once each.
        run(work, ["--dir", os.path.join(root, "sub"), "--dir", root, "--out", out])
        expect(groups_of(load(out), root) == groups_of(alone, root), "nested root first")


def case_order():
    """Directory order (creation order on tmpfs) and hasher count do not change the report."""
    with Work() as work:
        base = "/dev/shm" if os.path.isdir("/dev/shm") else work.path
        roots = []
        try:
            for order in (1, -1):
                root = os.path.join(base, f"dupipe-order-{os.getpid()}-{order}")
                os.mkdir(root)
                roots.append(root)
                files = [(f"f{i:02d}", pattern(i % 7, 9000 + (i % 3))) for i in range(30)]
                for name, data in files[::order]:
                    put(root, name, data)
            expect(os.listdir(roots[0]) != os.listdir(roots[1]), "directory orders did not differ")
            reports = []
            for root, hashers in ((roots[0], 1), (roots[1], 3)):
                out = os.path.join(work.path, f"out-{hashers}")
                run(work, ["--dir", root, "--out", out, "--hashers", str(hashers)])
                reports.append(normalized(load(out), root))
            expect(reports[0] == reports[1], f"reports differ:\n{reports[0]}\n{reports[1]}")
            expect(len(reports[0]["groups"]) >= 7, f"too few groups {reports[0]['groups']}")
        finally:
            for root in roots:
                shutil.rmtree(root, ignore_errors=True)


def case_links():
    """Hard links are one file (hashed once, no wasted bytes); symlinks are skipped unless
    followed; symlink loops do not hang or repeat the walk."""
    with Work() as work:
        root = work.sub("l")
        data = pattern("link", BIG)
        put(root, "h1", data)
        os.link(os.path.join(root, "h1"), os.path.join(root, "h1link"))
        os.link(os.path.join(root, "h1"), os.path.join(root, "zz-h1link"))
        put(root, "h1copy", data)
        put(root, "k1", b"only hard links of me")
        os.link(os.path.join(root, "k1"), os.path.join(root, "k1link"))
        os.symlink("h1copy", os.path.join(root, "sym"))
        os.symlink("loop2", os.path.join(root, "loop1"))
        os.symlink("loop1", os.path.join(root, "loop2"))
        os.mkdir(os.path.join(root, "dir"))
        os.symlink("..", os.path.join(root, "dir", "up"))
        os.mkfifo(os.path.join(root, "fifo"))  # special files are skipped, never opened or failed
        import socket
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(os.path.join(root, "sock"))
        sock.close()  # the socket file stays
        out = os.path.join(work.path, "out")
        run(work, ["--dir", root, "--out", out])
        r = load(out)
        expect(groups_of(r, root) == {frozenset({b"h1", b"h1copy"})}, f"groups {groups_of(r, root)}")
        expect(hardlinks_of(r, root) == {frozenset({b"h1", b"h1link", b"zz-h1link"}), frozenset({b"k1", b"k1link"})},
               f"hardlinks {hardlinks_of(r, root)}")
        expect(r["summary"]["wasted_bytes"] == BIG and r["summary"]["duplicate_files"] == 1, f"summary {r['summary']}")
        expect(r["summary"]["hashed"] == 2, f"hard links hashed more than once: {r['summary']}")
        expect(r["summary"]["skipped"] == 6 and not r["failures"], f"symlinks, FIFO, socket: {r['summary']} {r['failures']}")
        run(work, ["--dir", root, "--out", out, "--follow-links"])
        r = load(out)
        # Followed, 'sym' is another name of h1copy; the loops fail; dir/up leads back to the root.
        expect(groups_of(r, root) == {frozenset({b"h1", b"h1copy"})}, f"follow: groups {groups_of(r, root)}")
        expect(frozenset({b"h1copy", b"sym"}) in hardlinks_of(r, root), f"follow: {hardlinks_of(r, root)}")
        f = failures_of(r, root)
        expect(set(f) == {b"loop1", b"loop2"} and all("symbolic link" in e for e in f.values()), f"follow: {f}")


def case_collision():
    """A published MD5 collision pair: never grouped under sha256; grouped under md5 unless
    --verify, which rejects it."""
    a, b = MD5_PAIR
    expect(a != b and hashlib.md5(a).digest() == hashlib.md5(b).digest(), "not an MD5 collision")
    expect(hashlib.sha256(a).digest() != hashlib.sha256(b).digest(), "sha256 equal")
    with Work() as work:
        root = work.sub("m")
        put(root, "order.bin", a)
        put(root, "letter.bin", b)
        out = os.path.join(work.path, "out")
        run(work, ["--dir", root, "--out", out])
        expect(load(out)["groups"] == [], "collision grouped under sha256")
        run(work, ["--dir", root, "--out", out, "--algo", "md5"])
        r = load(out)
        expect(groups_of(r, root) == {frozenset({b"order.bin", b"letter.bin"})}, "md5 should group the pair")
        expect(r["groups"][0]["digest"] == "79054025255fb1a26e4bc422aef54eb4", "md5 digest")
        run(work, ["--dir", root, "--out", out, "--algo", "md5", "--verify"])
        r = load(out)
        expect(r["groups"] == [], f"--verify kept the group {r['groups']}")
        f = failures_of(r, root)
        expect(set(f) == {b"order.bin", b"letter.bin"} and all("different bytes" in e for e in f.values()),
               f"--verify failures {f}")
        expect(all(x["stage"] == "aggregator" for x in r["failures"]), "stage of verify failures")
        # A real duplicate survives --verify.
        put(root, "copy.bin", a)
        run(work, ["--dir", root, "--out", out, "--algo", "md5", "--verify"])
        expect(groups_of(load(out), root) == {frozenset({b"order.bin", b"copy.bin"})}, "verify kept the copy")


def case_changed():
    """A file changed between the walk and the hash (test hook pauses the size grouper) is a
    failure and is grouped with nothing."""
    with Work() as work:
        root = work.sub("x")
        data = pattern("changing", BIG)
        for name in ("a", "b", "c"):
            put(root, name, data)
        pause = work.sub("pause")
        out = os.path.join(work.path, "out")
        env = dict(os.environ, TMPDIR=work.tmp, DUPIPE_TEST_PAUSE_DIR=pause)
        proc = subprocess.Popen([LAUNCHER, "--bin-dir", BIN, "--dir", root, "--out", out], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(3000):  # at most 30 s
                if os.path.exists(os.path.join(pause, "paused")) or proc.poll() is not None:
                    break
                import time; time.sleep(0.01)
            expect(os.path.exists(os.path.join(pause, "paused")), "grouper never paused")
            with open(os.path.join(root, "b"), "r+b") as f:  # same size, new bytes, new mtime
                f.write(b"X")
            st = os.stat(os.path.join(root, "b"))
            os.utime(os.path.join(root, "b"), ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
            open(os.path.join(pause, "resume"), "w").close()
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        expect(proc.returncode == 0, f"launcher exit {proc.returncode}: {err.decode(errors='replace')}")
        r = load(out)
        expect(groups_of(r, root) == {frozenset({b"a", b"c"})}, f"groups {groups_of(r, root)}")
        f = failures_of(r, root)
        expect(set(f) == {b"b"} and "changed since the walk" in f[b"b"], f"failures {f}")
        expect(r["failures"][0]["stage"] == "hasher", "stage of the change failure")


def case_unopened():
    """Files of unique size are never opened, by any stage (strace of the whole run)."""
    with Work() as work:
        root = work.sub("u")
        build_content_corpus(root)
        for i in range(5):
            put(root, f"lonely{i}", pattern(f"lonely{i}", 30000 + i))
        trace = os.path.join(work.path, "trace")
        out = os.path.join(work.path, "out")
        # LeakSanitizer cannot run under ptrace; in a sanitizer build the leak check is left to
        # the other tests, address and UB checks stay on.
        asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"]))
        run(work, ["--dir", root, "--out", out], env_extra={"ASAN_OPTIONS": asan},
            prefix=["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", trace])
        with open(trace, "rb") as f:
            opened = f.read()
        r = load(out)
        expect(r["summary"]["unique_size"] == 6, f"unique_size {r['summary']}")
        root_b = os.fsencode(root)
        for name in [b"unique"] + [f"lonely{i}".encode() for i in range(5)]:
            expect(b'"' + root_b + b"/" + name + b'"' not in opened, f"{name} was opened")
        expect(b'"' + root_b + b'/d1"' in opened, "the trace does not show candidate files being opened")


WHOLE = 64 * 1024  # hasher/directory_file_hasher.hpp kWholeFileBytes: read whole on arrival
EDGE = 4096        # hasher/directory_file_hasher.hpp kEdgeBytes: the first and last bytes compared
BUFFER = 64 << 10  # hasher/digest.hpp kReadBufferBytes: bytes per read(2) of a full pass


def traced_run(work, root, env_extra=None):
    """Runs the pipeline on `root` under strace -ff -y and returns the report and, per file name
    relative to root: how often it was opened, the byte ranges read ((offset, length), in call
    order; read(2) from the descriptor's offset, pread64 at its own), the calls and whether
    posix_fadvise(SEQUENTIAL) was given."""
    import re
    trace = os.path.join(work.path, "trace")
    out = os.path.join(work.path, "out")
    asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"]))  # see case_unopened
    run(work, ["--dir", root, "--out", out], env_extra=dict(env_extra or {}, ASAN_OPTIONS=asan),
        prefix=["strace", "-ff", "-qq", "-y", "-s", "0", "-e", "trace=open,openat,openat2,read,pread64,fadvise64",
                "-o", trace])  # -ff: a file per process, so no call is split by another's
    root_b = os.fsencode(root) + b"/"
    opens, ranges, calls, advised = {}, {}, {}, set()
    call = re.compile(rb'^(\w+)\((.*)\) += (-?\d+)')
    offset = {}  # (trace file, fd number) -> file offset of read(2)
    for name in sorted(os.listdir(work.path)):
        if not name.startswith("trace."):
            continue
        with open(os.path.join(work.path, name), "rb") as f:
            lines = f.read().splitlines()
        expect(not any(b"unfinished" in line for line in lines), "a system call split in the trace")
        for line in lines:
            m = call.match(line)
            if not m or int(m.group(3)) < 0:
                continue
            kind, args, result = m.group(1), m.group(2), int(m.group(3))
            if kind.startswith(b"open") and b'"' + root_b in args:
                n = args.split(b'"')[1][len(root_b):]
                opens[n] = opens.get(n, 0) + 1
                offset[(name, result)] = 0
            elif fd := re.match(rb"(\d+)<(.*?)>", args):
                if not fd.group(2).startswith(root_b):
                    continue
                n, key = fd.group(2)[len(root_b):], (name, int(fd.group(1)))
                if kind == b"fadvise64":
                    expect(b"POSIX_FADV_SEQUENTIAL" in args, f"{n}: {line}")
                    advised.add(n)
                    continue
                calls.setdefault(n, []).append((kind, result))
                if kind == b"pread64":
                    start = int(args.rsplit(b",", 1)[1])
                else:
                    start = offset.get(key, 0)
                    offset[key] = start + result
                if result > 0:
                    ranges.setdefault(n, []).append((start, result))
    return load(out), opens, ranges, calls, advised


def read_once(ranges):
    """Total bytes read, and whether no byte was read twice."""
    spans = sorted(ranges)
    overlap = any(a[0] + a[1] > b[0] for a, b in zip(spans, spans[1:]))
    return sum(length for _, length in spans), not overlap


def case_opens():
    """How often each file is opened and how its bytes are read (strace -f -y of the whole run):
    a unique size never; every candidate exactly once, whatever its size. A file of at most WHOLE
    bytes is read whole on arrival; a larger one has its first EDGE bytes read (the start of its
    full pass) and its last EDGE bytes pread, and only when another file of its size has the same
    edges is it read on, through the same descriptor, from EDGE in BUFFER-sized reads after
    posix_fadvise(SEQUENTIAL), the last EDGE bytes not read again. No byte is read twice."""
    with Work() as work:
        root = work.sub("o")
        big = pattern("opens", 3 * BUFFER + 5)
        body = pattern("body", 2 * BUFFER + 123)
        head = pattern("head", 200000)
        tail = pattern("tail", 150000)
        layout = {  # name: (content, opens, bytes read)
            "lonely": (pattern("lonely", 35001), 0, 0),
            "s1": (b"small" * 200, 1, 1000), "s2": (b"small" * 200, 1, 1000),
            "m1": (pattern("mid", WHOLE), 1, WHOLE), "m2": (pattern("mid", WHOLE), 1, WHOLE),
            "n1": (pattern("n1", 30001), 1, 30001), "n2": (pattern("n2", 30001), 1, 30001),
            "b1": (big, 1, len(big)), "b2": (big, 1, len(big)),                  # duplicates
            "c1": (b"\x01" + big[1:], 1, 2 * EDGE), "c2": (b"\x02" + big[1:], 1, 2 * EDGE),  # first byte
            "p1": (b"\x01" + head[1:], 1, 2 * EDGE), "p2": (b"\x02" + head[1:], 1, 2 * EDGE),  # other prefix
            "t1": (tail[:-1] + b"\x01", 1, 2 * EDGE), "t2": (tail[:-1] + b"\x02", 1, 2 * EDGE),  # other tail
            "q1": (body, 1, len(body)),                                            # same edges,
            "q2": (body[:BUFFER] + b"\x00" + body[BUFFER + 1:], 1, len(body)),     # other body
        }
        for name, (data, _, _) in layout.items():
            put(root, name, data)
        r, opens, ranges, calls, advised = traced_run(work, root)
        expect(groups_of(r, root) == {frozenset({b"s1", b"s2"}), frozenset({b"m1", b"m2"}), frozenset({b"b1", b"b2"})},
               f"groups {groups_of(r, root)}")
        for name, (data, want_opens, want_read) in layout.items():
            n = name.encode()
            expect(opens.get(n, 0) == want_opens, f"{name}: opened {opens.get(n, 0)} times, expected {want_opens}")
            total, once = read_once(ranges.get(n, []))
            expect(total == want_read, f"{name}: {total} bytes read, expected {want_read}")
            expect(once, f"{name}: some bytes read twice: {sorted(ranges.get(n, []))}")
            if want_read == len(data) and want_opens:
                expect(sorted(ranges[n])[-1][0] + sorted(ranges[n])[-1][1] == len(data), f"{name}: not read to its end")
        # b1 in one pass: its first EDGE bytes, its last EDGE bytes, then the middle in BUFFER-sized reads.
        want = [(b"read", EDGE), (b"pread64", EDGE), (b"read", BUFFER), (b"read", BUFFER),
                (b"read", len(big) - 2 * EDGE - 2 * BUFFER)]
        expect(calls.get(b"b1") == want, f"b1: calls {calls.get(b'b1')}, expected {want}")
        expect(calls.get(b"c1") == [(b"read", EDGE), (b"pread64", EDGE)], f"c1: calls {calls.get(b'c1')}")
        expect(advised == {b"b1", b"b2", b"q1", b"q2"}, f"posix_fadvise(SEQUENTIAL) for {sorted(advised)}")
        s = r["summary"]
        expect(s["bytes_hashed"] == 2 * 1000 + 2 * WHOLE + 2 * 30001 + 2 * len(big) + 2 * len(body)
               and s["bytes_partial"] == 6 * 2 * EDGE and s["unique_partial"] == 6, f"summary {s}")


def case_openlimit():
    """A size group of more large files than a hasher holds open (DUPIPE_TEST_MAX_OPEN_FILES, the
    launcher's test hook for hasher --max-open-files) is the one exception: each file is opened
    for its edges and closed, and those whose edges collide are opened once more and read whole.
    Groups within the limit still open each file once."""
    with Work() as work:
        root = work.sub("l")
        x = pattern("x", 300000)
        y = pattern("y", 200000)
        layout = {  # name: (content, opens, bytes read)
            "x1": (x, 2, 2 * EDGE + len(x)), "x2": (x, 2, 2 * EDGE + len(x)),
            "x3": (x[:-1] + b"\x00", 1, 2 * EDGE),
            "y1": (y, 1, len(y)), "y2": (y, 1, len(y)),
        }
        for name, (data, _, _) in layout.items():
            put(root, name, data)
        r, opens, ranges, calls, _ = traced_run(work, root, {"DUPIPE_TEST_MAX_OPEN_FILES": "2"})
        expect(groups_of(r, root) == {frozenset({b"x1", b"x2"}), frozenset({b"y1", b"y2"})}, f"groups {groups_of(r, root)}")
        for name, (data, want_opens, want_read) in layout.items():
            n = name.encode()
            expect(opens.get(n, 0) == want_opens, f"{name}: opened {opens.get(n, 0)} times, expected {want_opens}")
            total, _ = read_once(ranges.get(n, []))
            expect(total == want_read, f"{name}: {total} bytes read, expected {want_read}")
        s = r["summary"]
        expect(s["bytes_hashed"] == 2 * len(x) + 2 * len(y) and s["bytes_partial"] == 3 * 2 * EDGE, f"summary {s}")


def case_actions():
    """actions.sh run on a copy leaves exactly one copy of each group's content, loses none."""
    with Work() as work:
        root = work.sub("a")
        build_content_corpus(root)
        put(root, "odd'quote\nname", b"small duplicate\n")
        put(root, "-starts-with-dash", pattern("big", BIG))
        os.link(os.path.join(root, "sub", "d2"), os.path.join(root, "d2link"))
        for action in ("delete", "link"):
            copy = os.path.join(work.path, "copy-" + action)
            subprocess.run(["cp", "-a", root, copy], check=True)
            out = os.path.join(work.path, "out-" + action)
            run(work, ["--dir", copy, "--out", out, "--action", action])
            before = contents(copy)
            script = os.path.join(out, "actions.sh")
            expect(os.path.exists(copy + "/sub/d2") and before, "dupipe changed the tree itself")
            proc = subprocess.run(["bash", script], capture_output=True, timeout=60)
            expect(proc.returncode == 0, f"{action}: actions.sh exit {proc.returncode} {proc.stderr}")
            after = contents(copy)
            expect(set(after.values()) == set(before.values()), f"{action}: content lost")
            run(work, ["--dir", copy, "--out", out])
            expect(load(out)["groups"] == [], f"{action}: duplicates remain {load(out)['groups']}")
            if action == "delete":
                expect(len(after) == len(set(before.values())) + 1, f"delete: {sorted(after)}")  # + the empty dup
            else:
                expect(set(after) == set(before), "link: a name disappeared")
                inodes = {os.stat(p).st_ino for p, d in after.items() if d == hashlib.sha256(pattern('big', BIG)).hexdigest()}
                expect(len(inodes) == 1, f"link: {len(inodes)} inodes for one content")


def contents(root):
    """{path: sha256} of every regular file under root."""
    result = {}
    for dirpath, _, names in os.walk(os.fsencode(root)):
        for n in names:
            p = os.path.join(dirpath, n)
            if stat.S_ISREG(os.lstat(p).st_mode):
                with open(p, "rb") as f:
                    result[p] = hashlib.sha256(f.read()).hexdigest()
    return result


def install_for_nobody(work):
    """Copies the launcher and the directory-mode stages into the work directory: the checkout may
    sit below a directory 'nobody' cannot enter (a fresh clone under a 0700 mktemp directory)."""
    import shutil
    top = work.sub("install")
    shutil.copytree(os.path.join(SOURCE, "scripts"), os.path.join(top, "scripts"))
    bin_dir = os.path.join(top, "bin")
    os.makedirs(bin_dir)
    for stage in ("dupipe-supervise", "walker", "grouper", "hasher", "aggregator", "dupipe-shm"):
        shutil.copy2(os.path.join(BIN, stage), bin_dir)
    for dirpath, dirnames, filenames in os.walk(top):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o755)
    return os.path.join(top, "scripts", "run_pipeline.sh"), bin_dir


def case_unreadable():
    """Unreadable files and directories are failures naming the path, never fatal. Runs the
    pipeline as 'nobody' when the test runs as root (root reads everything)."""
    with Work() as work:
        root = work.sub("p")
        data = pattern("perm", BIG)
        for name in ("r1", "r2", "locked", "closed/inside"):
            put(root, name, data)
        put(root, "locked-unique", b"unique size, never opened, so no failure")
        for p in ("locked", "locked-unique"):
            os.chmod(os.path.join(root, p), 0)
        os.chmod(os.path.join(root, "closed"), 0)
        out = os.path.join(work.path, "out")
        os.makedirs(out)
        prefix = []
        launcher, bin_dir = None, None
        if os.geteuid() == 0:
            launcher, bin_dir = install_for_nobody(work)
            for p in (work.path, out):
                os.chown(p, 65534, 65534)
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        run(work, ["--dir", root, "--out", out], prefix=prefix, launcher=launcher, bin_dir=bin_dir)
        r = load(out)
        expect(groups_of(r, root) == {frozenset({b"r1", b"r2"})}, f"groups {groups_of(r, root)}")
        f = failures_of(r, root)
        expect(set(f) == {b"locked", b"closed"}, f"failures {f}")
        expect("Permission denied" in f.get(b"locked", "") and "cannot open directory" in f.get(b"closed", ""), f"{f}")


def case_interrupt():
    """SIGINT while the size grouper waits (test hook): exit 130, no stage and no run directory
    left behind."""
    import signal, time
    with Work() as work:
        root = work.sub("i")
        build_content_corpus(root)
        pause = work.sub("pause")
        env = dict(os.environ, TMPDIR=work.tmp, DUPIPE_TEST_PAUSE_DIR=pause)
        proc = subprocess.Popen([LAUNCHER, "--bin-dir", BIN, "--dir", root, "--out", work.sub("out")], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(3000):  # at most 30 s
                if os.path.exists(os.path.join(pause, "paused")) or proc.poll() is not None:
                    break
                time.sleep(0.01)
            pids = open(os.path.join(work.tmp, os.listdir(work.tmp)[0], "pids")).read().split()[1::2]
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        expect(proc.returncode == 130, f"exit {proc.returncode}: {err.decode(errors='replace')}")
        alive = [p for p in pids if os.path.exists(f"/proc/{p}")]
        expect(not alive, f"stages still running: {alive}")
        expect(not os.path.exists(os.path.join(work.path, "out", "report.json")), "report written")


def case_usage():
    """Bad directory-mode options stop the launcher with exit 2 before anything runs."""
    with Work() as work:
        root = work.sub("u")
        put(root, "a", b"x")
        out = os.path.join(work.path, "out")
        urls = put(work.path, "urls.txt", b"http://127.0.0.1:1/x\n")
        for args, message in ((["--dir", root, "--format", "xml"], b"--format takes"),
                              (["--dir", root, "--action", "rm"], b"--action takes"),
                              (["--verify", urls], b"need --dir"),
                              (["--dir", root, urls], b"exclude each other"),
                              (["--dir", root, "--algo", "crc32"], b"unsupported --algo")):
            proc = run(work, args + ["--out", out], expect_rc=2)
            expect(message in proc.stderr, f"{args}: {proc.stderr}")
        expect(not os.path.exists(os.path.join(out, "report.json")), "a report was written")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        raise SystemExit(f"usage: directory_mode_test.py {'|'.join(CASES)}")
    CASES[sys.argv[1]]()
    finish()
