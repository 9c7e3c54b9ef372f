"""Crawl mode through scripts/run_pipeline.sh --crawl, against sites generated here and served by
the project's test server on loopback, over the transport given (fifo or shm).

  site    a site with a robots.txt (a dupipe group with Allow, Disallow and $ patterns; a "*"
          group denying everything), cycles, self-links, several spellings of one URL, <base>,
          fragments, links in a comment, a <script> and a text/plain body, a text/html page
          not named .html, duplicated images under several URLs, a depth limit, a slow page
          that gives a URL a shorter path late, and a link to a second host (127.0.0.2) out of
          scope. The server's request log must hold exactly the expected set, each URL once;
          the report's duplicate group and counts are exact.
  cycle   one fetcher and a page of 10,000 links (far more than a pipe holds, both ways):
          finishes within its bound, each URL fetched once, a complete report.
  max_pages  --max-pages 20: exactly 20 fetches and a complete report of them.
  polite  --per-host 2 with 4 fetchers: the server never streams more than 2 bodies at once;
          --delay 100: no two requests start less than 100 ms apart; a robots.txt Crawl-delay
          of 0.3 s: none less than 0.3 s apart.
  chaos   SIGKILL of fetchers and hashers mid-crawl: the report equals a clean crawl's.
  lost    SIGKILL of a hasher while it hashes: the record it held is re-fed, the report is exact.
  unreachable  a host whose robots.txt cannot be fetched is not crawled; the crawl ends.
  scope   --allow-host, --reject and --no-parent through the launcher.
  producer  SIGKILL of the producer mid-crawl: restarted, it replays its journal; no URL is
          requested twice and the report equals a clean crawl's.
  sitemaps  --sitemaps: robots.txt's Sitemap: lines (an index) and /sitemap.xml seed the crawl.
  trap    a symbolic-link loop serving one page under endless URLs: reported as a likely trap,
          and --trap-limit 3 stops following it.
  busy    a 429 with Retry-After: 1 holds the whole host for that second, not only the page.
  resume  SIGKILL of the producer with no restart allowed stops the crawl; --resume goes on
          from the journals: no page whose report was written is requested again, and the
          report equals a clean crawl's.

Needs DUPIPE_BIN_DIR and DUPIPE_SOURCE_DIR (set by ctest)."""
import collections, ctypes, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time

BIN = os.environ["DUPIPE_BIN_DIR"]
SOURCE = os.environ["DUPIPE_SOURCE_DIR"]
LAUNCHER = os.path.join(SOURCE, "scripts", "run_pipeline.sh")
RUN_BOUND_S = 60  # a run that takes longer has locked (the longest takes 2 s, 10 under ASan)

problems = []


def expect(condition, message):
    if not condition:
        problems.append(message)


def die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Server:
    """dupipe-testserver on HOST with a free port; its request log is read as it comes, each line
    stamped with the time it arrived."""

    def __init__(self, work, root, host="127.0.0.1", name="server"):
        port_file = os.path.join(work, name + ".port")
        self.lines = []  # (monotonic time, line)
        # PR_SET_PDEATHSIG: a server dies with this test, however the test ends.
        self.process = subprocess.Popen(
            [os.path.join(BIN, "dupipe-testserver"), "--root", root, "--host", host,
             "--port-file", port_file], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
            text=True, preexec_fn=die_with_parent)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        for _ in range(500):  # at most 5 s to bind
            if os.path.exists(port_file):
                break
            time.sleep(0.01)
        with open(port_file) as f:
            self.base = "http://%s:%s" % (host, f.read().strip())

    def _read(self):
        for line in self.process.stderr:
            # The server's own stamp (CLOCK_MONOTONIC, as time.monotonic()) when the line has one:
            # the time a line reaches this thread is later by however busy the machine is.
            stamp = re.search(r" at=(\d+\.\d+)$", line.rstrip("\n"))
            self.lines.append((float(stamp.group(1)) if stamp else time.monotonic(), line))

    def requests(self, with_times=False):
        """The targets requested, in the order they were answered."""
        found = [(t, m.group(1)) for t, m in
                 ((t, re.search(r": GET (\S+) \d+ ", line)) for t, line in self.lines) if m]
        return found if with_times else [target for _, target in found]

    def requests_since(self, start, until=float("inf")):
        """The targets of the requests that arrived from `start` (time.monotonic()) to before
        `until`, by the server's own stamp: a line that reaches the log late still counts for
        its run."""
        return [target for t, target in self.requests(with_times=True) if start <= t < until]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)
        self.reader.join(10)


def write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())


def crawl(work, seeds, transport, *options, during=None, out_name="out", fresh=True):
    """Runs the launcher; returns (exit status, stderr, report or None). `during(run_dir_file)`
    runs while the crawl does (the chaos case kills its stages). fresh=False keeps OUT (for
    --resume)."""
    seeds_file = os.path.join(work, "seeds.txt")
    with open(seeds_file, "w") as f:
        f.write("".join(url + "\n" for url in seeds))
    out = os.path.join(work, out_name)
    if fresh:
        shutil.rmtree(out, ignore_errors=True)
    run_dir_file = os.path.join(work, "run-dir")
    if os.path.exists(run_dir_file):
        os.remove(run_dir_file)
    env = dict(os.environ, TMPDIR=os.path.join(work, "tmp"), DUPIPE_BIN_DIR=BIN)
    os.makedirs(env["TMPDIR"], exist_ok=True)
    command = [LAUNCHER, "--crawl", "--transport", transport, "--hashers", "2", "--out", out,
               "--run-dir-file", run_dir_file, *options, seeds_file]
    started = time.monotonic()
    launcher = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    if during is not None:
        during(run_dir_file)
    try:
        _, stderr = launcher.communicate(timeout=RUN_BOUND_S)
    except subprocess.TimeoutExpired:
        launcher.kill()
        _, stderr = launcher.communicate()
        problems.append("the crawl did not finish within %d s (locked?): %s" %
                        (RUN_BOUND_S, stderr))
        return None, "", None
    elapsed = time.monotonic() - started
    run = subprocess.CompletedProcess(command, launcher.returncode, "", stderr)
    report = None
    if os.path.exists(os.path.join(out, "report.json")):
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
    print("crawl %s: exit %d in %.1f s" % (" ".join(options), run.returncode, elapsed))
    return run.returncode, run.stderr, report


def crawl_served(work, root, transport, *options, name="site", inspect=None):
    """Serves ROOT, crawls it from /index.html and stops the server; None when the crawl did not
    end, else (server, stderr, report, what `inspect(server)` returned while it still served),
    the exit status checked."""
    server = Server(work, root, name=name)
    try:
        status, stderr, report = crawl(work, [server.base + "/index.html"], transport, *options)
        seen = inspect(server) if inspect is not None and status is not None else None
    finally:
        server.stop()
    if status is None:
        return None
    expect(status == 0, "exit %s: %s" % (status, stderr))
    return server, stderr, report, seen


def check_summary(report, fetched, failed):
    summary = report["summary"]
    expect(report["complete"] is True, "report not complete")
    expect(summary["fetched"] == fetched and summary["failed"] == failed,
           "summary %s, expected %d fetched and %d failed" % (summary, fetched, failed))
    expect(summary["urls"] == summary["fetched"] + summary["failed"] + summary["rejected"],
           "urls != fetched + failed + rejected: %s" % summary)


def site_case(work, transport):
    root = os.path.join(work, "site")
    far_root = os.path.join(work, "far")
    write(far_root, "far.html", "<p>never asked for</p>")
    os.makedirs(root)  # served as it is written: the pages name the servers' ports
    far = Server(work, far_root, "127.0.0.2", "far")
    server = Server(work, root)
    base = server.base
    image = os.urandom(3000)
    write(root, "img/one.png", image)
    write(root, "img/two.png", image)
    write(root, "sub/one-copy.png", image)
    write(root, "index.html", f"""<html><head><title>home</title></head><body>
<a href="a.html">a</a> <a href="{base.upper()}/a.html#top">A</a>
<a href="./x/../a.html">dots</a> <a href="%61.html">encoded</a> <a href="index.html">self</a>
<a href="#frag">fragment only</a>
<!-- <a href="hidden-comment.html">commented out</a> -->
<script>var s = '<a href="hidden-script.html">';</script>
<style>a {{ background: url(hidden-style.png); }}</style>
<img src="img/one.png" srcset="img/two.png 2x">
<a href="notes.txt">notes</a> <a href="sub/page.html">sub</a> <a href="c1.html">chain</a>
<a href="/_slow/1500/slow.html">slow</a> <a href="{far.base}/far.html">far</a>
<a href="/private/no.html">denied</a> <a href="/private/ok.html">allowed</a>
<a href="/x.secret">denied by $</a> <a href="/x.secret.html">allowed</a>
<a href="/_html/listing">text/html without .html</a>
</body></html>""")
    # Served as text/html though its name has no .html: its links count.
    write(root, "listing", '<a href="/from-listing.html">from the listing</a>')
    write(root, "from-listing.html", "<p>found on a text/html page named listing</p>")
    # The dupipe group (matched case-insensitively) is ours, not the "*" group that denies all;
    # the longest match wins, Allow on a tie.
    write(root, "robots.txt", "User-agent: *\nDisallow: /\n\nUser-agent: DuPipe/1.0\n"
                              "Disallow: /private/\nAllow: /private/ok.html\n"
                              "Disallow: /*.secret$\n")
    for name in ("private/no.html", "private/ok.html", "x.secret", "x.secret.html"):
        write(root, name, "<p>%s</p>" % name)
    write(root, "a.html", '<a href="index.html">home</a> <a href="a.html">self</a> '
                          '<a href="img/one.png">img</a>')
    write(root, "notes.txt", '<a href="never.html">not html</a>')
    write(root, "sub/page.html", '<html><head><base href="/base/"></head><body>'
                                 '<a href="in-base.html">b</a></body></html>')
    write(root, "base/in-base.html", '<a href="../sub/one-copy.png">copy</a>')
    # The chain gives t.html depth 3 quickly; the slow page gives it depth 2 after 1.5 s, and
    # only at depth 2 is u.html (its link) within --depth 3.
    write(root, "c1.html", '<a href="c2.html">2</a>')
    write(root, "c2.html", '<a href="t.html">t</a> <a href="c3.html">3</a>')
    write(root, "c3.html", '<a href="c4.html">4, too deep</a>')
    write(root, "c4.html", "<p>depth 4</p>")
    write(root, "slow.html", '<a href="/t.html">t</a>')
    write(root, "t.html", '<a href="u.html">u</a>')
    write(root, "u.html", "<p>depth 3 over the slow page</p>")
    try:
        status, stderr, report = crawl(work, [base + "/index.html"], transport, "--depth", "3",
                                       "--fetchers", "3")
    finally:
        server.stop()
        far.stop()
    if status is None:
        return
    expect(status == 0, "exit %s: %s" % (status, stderr))
    expect("re-feeding" not in stderr, "a clean crawl ran re-feed passes: %s" % stderr)
    requested = server.requests()
    wanted = ["/index.html", "/a.html", "/img/one.png", "/img/two.png", "/notes.txt",
              "/sub/page.html", "/base/in-base.html", "/sub/one-copy.png", "/c1.html", "/c2.html",
              "/c3.html", "/t.html", "/u.html", "/_slow/1500/slow.html", "/private/ok.html",
              "/x.secret.html", "/_html/listing", "/from-listing.html"]
    expect(requested[:1] == ["/robots.txt"], "robots.txt was not asked first: %s" % requested)
    requested = requested[1:]
    expect(sorted(requested) == sorted(wanted),
           "requests %s, expected %s" % (sorted(requested), sorted(wanted)))
    expect(far.requests() == [], "the out-of-scope host was asked: %s" % far.requests())
    if report is None:
        problems.append("no report: " + stderr)
        return
    check_summary(report, len(wanted), 0)
    groups = [sorted(f["url"][len(base):] for f in g["files"]) for g in report["groups"]]
    expect(groups == [["/img/one.png", "/img/two.png", "/sub/one-copy.png"]],
           "groups %s" % groups)
    # Each file's depth (its shortest link distance from the seed) and the page it was found on.
    origins = {f["url"][len(base):]: (f.get("depth"), f.get("found_on", "")[len(base):])
               for g in report["groups"] for f in g["files"]}
    expect(origins == {"/img/one.png": (1, "/index.html"), "/img/two.png": (1, "/index.html"),
                       "/sub/one-copy.png": (3, "/base/in-base.html")},
           "depths and found_on: %s" % origins)
    expect(report["summary"].get("not_fetched") == {"depth": 1, "robots": 2, "scope": 1},
           "not_fetched: %s" % report["summary"].get("not_fetched"))
    expect("1 out of scope" in stderr and "1 too deep" in stderr and
           "2 denied by robots.txt" in stderr,
           "the producer's counts: %s" % [l for l in stderr.splitlines() if "seeds;" in l])


def cycle_case(work, transport):
    """Every link comes back on `found` (10,000 A records, far more than a pipe holds) and then
    10,000 URLs go out on `urls` while their D records come back: a producer that blocked
    writing either way would lock with its one fetcher. --per-host 1000 lets the frontier hand
    out far more than the pipes hold (the default of 4 would keep `urls` nearly empty)."""
    root = os.path.join(work, "big")
    links = "".join('<a href="p%05d.html">%d</a>\n' % (i, i) for i in range(10_000))
    write(root, "index.html", "<html><body>" + links + "</body></html>")
    for i in range(0, 10_000, 1000):
        write(root, "p%05d.html" % i, "<p>page %d</p>" % i)
    ran = crawl_served(work, root, transport, "--fetchers", "1", "--per-host", "1000", name="big")
    if ran is None:
        return
    server, stderr, report, _ = ran
    requested = server.requests()
    expect(requested[:1] == ["/robots.txt"], "robots.txt not asked first")
    expect(len(requested) == 10_002 and len(set(requested)) == 10_002,
           "%d requests (%d distinct), expected 10001 and robots.txt" %
           (len(requested), len(set(requested))))
    if report is not None:
        check_summary(report, 11, 9_990)  # the pages that exist; the others are 404s


def max_pages_case(work, transport):
    root = os.path.join(work, "limited")
    write(root, "index.html", "".join('<a href="p%d.html">p</a>' % i for i in range(100)))
    for i in range(100):
        write(root, "p%d.html" % i, '<a href="q%d.html">q</a>' % i)
    ran = crawl_served(work, root, transport, "--fetchers", "4", "--max-pages", "20",
                       name="limited")
    if ran is None:
        return
    server, stderr, report, _ = ran
    requested = [target for target in server.requests() if target != "/robots.txt"]
    expect(len(requested) == 20 and len(set(requested)) == 20,
           "%d requests (%d distinct), expected 20" % (len(requested), len(set(requested))))
    if report is not None:
        check_summary(report, 20, 0)
        expect(report["summary"].get("not_fetched", {}).get("max_pages", 0) > 0,
               "not_fetched: %s" % report["summary"].get("not_fetched"))
    expect("over --max-pages" in stderr and " 0 over --max-pages" not in stderr,
           "not-started count: %s" % [l for l in stderr.splitlines() if "seeds;" in l])


def polite_case(work, transport):
    root = os.path.join(work, "polite")
    write(root, "index.html", "".join('<a href="/_drip/20000/f%d.bin">f</a>' % i
                                      for i in range(12)))
    for i in range(12):
        write(root, "f%d.bin" % i, os.urandom(4000))  # 0.2 s each at 20,000 bytes/s
    stats_of = lambda server: subprocess.run(["curl", "-s", server.base + "/_stats"],
                                             capture_output=True, text=True, timeout=10).stdout
    ran = crawl_served(work, root, transport, "--fetchers", "4", "--per-host", "2", name="polite",
                       inspect=stats_of)
    if ran is None:
        return
    stats = ran[3]
    active = int(re.search(r"max_active (\d+)", stats).group(1))
    expect(active == 2, "--per-host 2: the server streamed %d bodies at once" % active)

    root = os.path.join(work, "delayed")
    write(root, "index.html", "".join('<a href="p%d.html">p</a>' % i for i in range(6)))
    for i in range(6):
        write(root, "p%d.html" % i, "<p>%d</p>" % i)
    ran = crawl_served(work, root, transport, "--fetchers", "4", "--delay", "100", name="delayed")
    if ran is None:
        return
    server = ran[0]
    answered = server.requests(with_times=True)
    expect(len(answered) == 8 and answered[0][1] == "/robots.txt", "requests %s" % answered)
    # The frontier starts them 100 ms apart; the server stamps each request as it arrives, after
    # a fetcher took it from its link, which may take one longer than the next (tens of ms on a
    # loaded machine under ASan): 50 ms is the bound here. Without the delay they come ~1 ms
    # apart.
    gaps = [b[0] - a[0] for a, b in zip(answered, answered[1:])]
    expect(all(gap >= 0.05 for gap in gaps), "--delay 100: gaps between requests %s" %
           ["%.3f" % gap for gap in gaps])

    # A robots.txt Crawl-delay (0.3 s, longer than the default --delay 0) paces the host the same
    # way, counted from the robots.txt request.
    root = os.path.join(work, "crawl-delay")
    write(root, "robots.txt", "User-agent: *\nCrawl-delay: 0.3\n")
    write(root, "index.html", "".join('<a href="p%d.html">p</a>' % i for i in range(3)))
    for i in range(3):
        write(root, "p%d.html" % i, "<p>%d</p>" % i)
    ran = crawl_served(work, root, transport, "--fetchers", "4", name="crawl-delay")
    if ran is None:
        return
    answered = ran[0].requests(with_times=True)
    expect(len(answered) == 5 and answered[0][1] == "/robots.txt", "requests %s" % answered)
    gaps = [b[0] - a[0] for a, b in zip(answered, answered[1:])]
    expect(all(gap >= 0.2 for gap in gaps), "Crawl-delay 0.3: gaps between requests %s" %
           ["%.3f" % gap for gap in gaps])


def chaos_site(work):
    """60 slow pages linked from /index.html, each with a slow asset (10 distinct contents) and a
    link back: 121 files. Served; the server is returned."""
    root = os.path.join(work, "chaos")
    assets = [os.urandom(2000) for _ in range(10)]
    write(root, "index.html", "".join('<a href="/_slow/60/p%d.html">p</a>' % i for i in range(60)))
    for i in range(60):
        write(root, "p%d.html" % i, '<a href="/_slow/60/a%d.bin">a</a> <a href="/index.html">h</a>'
              % i)
        write(root, "a%d.bin" % i, assets[i % len(assets)])
    return Server(work, root, name="chaos")


def stage_killer(roles, kills_wanted):
    """A `during` for crawl(): every 250 ms after the first, SIGKILL a live process of the next
    role, until `kills_wanted` were killed."""
    def kill_stages(run_dir_file):
        kills = 0
        deadline = time.monotonic() + 30
        while kills < kills_wanted and time.monotonic() < deadline:
            time.sleep(0.25)
            if not os.path.exists(run_dir_file):
                continue
            with open(run_dir_file) as f:
                pids_file = os.path.join(f.read().strip(), "pids")
            try:
                with open(pids_file) as f:
                    entries = [line.split() for line in f if line.strip()]
            except FileNotFoundError:
                return  # the run is over
            role = roles[kills % len(roles)]
            live = [int(pid) for r, pid in entries if r == role and is_running(int(pid))]
            if live:
                os.kill(live[kills % len(live)], signal.SIGKILL)
                kills += 1
        expect(kills == kills_wanted, "only %d stages killed before the run ended" % kills)
    return kill_stages


def shape(report):
    """What a crawl's report must agree on with a clean crawl's."""
    return ({k: report["summary"][k] for k in ("urls", "fetched", "failed", "rejected",
                                                "duplicate_groups", "duplicate_files")},
            sorted(sorted(f["url"] for f in g["files"]) for g in report["groups"]))


def chaos_case(work, transport, roles=("fetcher", "fetcher", "hasher"), kills_wanted=6,
               check=None, killer=None):
    """SIGKILL of fetchers and hashers in the middle of a crawl: the supervisor restarts them,
    tells the frontier (SIGUSR1) that the pages in flight at a dead fetcher are lost, and the
    report equals a clean crawl's. `check(requests, stderr)` looks at the killed crawl's
    requests."""
    server = chaos_site(work)
    seeds = [server.base + "/index.html"]
    try:
        status, stderr, clean = crawl(work, seeds, transport, "--fetchers", "3",
                                      out_name="clean")
        expect(status == 0, "clean crawl: exit %s: %s" % (status, stderr))
        started = time.monotonic()
        status, stderr, chaotic = crawl(work, seeds, transport, "--fetchers", "3",
                                        "--max-restarts", "10",
                                        during=killer or stage_killer(roles, kills_wanted),
                                        out_name="killed")
    finally:
        server.stop()
    if status is None or clean is None:
        return
    expect(status == 0, "crawl with kills: exit %s: %s" % (status, stderr))
    if chaotic is None:
        problems.append("no report after the kills: " + stderr)
        return
    if "fetcher" in roles:
        expect("start again" in stderr, "the frontier was never told of a dead fetcher: " + stderr)
    expect(shape(chaotic) == shape(clean), "report after kills %s, clean %s" %
           (shape(chaotic), shape(clean)))
    check_summary(chaotic, 121, 0)
    if check is not None:
        check(server.requests_since(started), stderr)


def lost_case(work, transport):
    """A hasher killed while it hashes a file loses that file's P record: the aggregator's check
    of the crawl's manifest finds it missing, a re-feed pass fetches it again, and the report
    equals a clean crawl's."""
    root = os.path.join(work, "large")
    blobs = [os.urandom(24 << 20), os.urandom(24 << 20)]
    write(root, "index.html", "".join('<a href="f%d.bin">f</a>' % i for i in range(4)))
    for i in range(4):
        write(root, "f%d.bin" % i, blobs[i % 2])
    server = Server(work, root, name="large")
    seeds = [server.base + "/index.html"]
    killed = []

    def kill_a_busy_hasher(run_dir_file):
        """SIGKILL the first hasher seen with a downloaded file open (at most 30 s of looking)."""
        deadline = time.monotonic() + 30
        while not killed and time.monotonic() < deadline:
            time.sleep(0.002)
            try:
                with open(run_dir_file) as f:
                    with open(os.path.join(f.read().strip(), "pids")) as pids:
                        hashers = [int(p) for r, p in (l.split() for l in pids) if r == "hasher"]
            except (FileNotFoundError, ValueError):
                continue
            for pid in hashers:
                try:
                    targets = [os.readlink("/proc/%d/fd/%s" % (pid, fd))
                               for fd in os.listdir("/proc/%d/fd" % pid)]
                except (FileNotFoundError, ProcessLookupError):
                    continue
                if any("/lost-run/files/" in target for target in targets):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return

    try:
        status, stderr, clean = crawl(work, seeds, transport, out_name="lost-clean")
        expect(status == 0, "clean crawl: exit %s: %s" % (status, stderr))
        status, stderr, report = crawl(work, seeds, transport, during=kill_a_busy_hasher,
                                       out_name="lost-run")
    finally:
        server.stop()
    if status is None or clean is None:
        return
    expect(killed, "no hasher was seen hashing")
    expect(status == 0, "crawl with a hasher killed: exit %s: %s" % (status, stderr))
    expect("re-feeding what is missing" in stderr, "no re-feed pass: " + stderr)
    if report is None:
        return
    check_summary(report, 5, 0)

    def groups(r):
        return sorted(sorted(f["url"] for f in g["files"]) for g in r["groups"])
    expect(groups(report) == groups(clean) and len(groups(clean)) == 2,
           "groups %s, clean %s" % (groups(report), groups(clean)))


def scope_case(work, transport):
    """--allow-host takes a second host into the crawl (its own robots.txt asked first),
    --reject keeps matching URLs out (counted as filter), --no-parent keeps the crawl under the
    seed's directory on the seed's own host."""
    root, far_root = os.path.join(work, "near"), os.path.join(work, "far")
    os.makedirs(root)
    write(far_root, "far.html", '<a href="far2.html">2</a>')
    write(far_root, "far2.html", "<p>two</p>")
    far = Server(work, far_root, "127.0.0.2", "far")
    server = Server(work, root, name="near")
    write(root, "docs/index.html", f'<a href="a.html">a</a> <a href="/up.html">up</a> '
                                   f'<img src="pic.png"> <a href="{far.base}/far.html">far</a>')
    write(root, "docs/a.html", "<p>a</p>")
    write(root, "docs/pic.png", os.urandom(100))
    write(root, "up.html", "<p>above the seed's directory</p>")
    try:
        status, stderr, report = crawl(work, [server.base + "/docs/index.html"], transport,
                                       "--allow-host", "127.0.0.2", "--reject", r"\.png$",
                                       "--no-parent")
    finally:
        server.stop()
        far.stop()
    if status is None:
        return
    expect(status == 0, "exit %s: %s" % (status, stderr))
    expect(sorted(server.requests()) == ["/docs/a.html", "/docs/index.html", "/robots.txt"],
           "near host: %s" % server.requests())
    expect(far.requests() == ["/robots.txt", "/far.html", "/far2.html"],
           "the allowed host: %s" % far.requests())
    if report is not None:
        check_summary(report, 4, 0)
        expect(report["summary"].get("not_fetched") == {"filter": 1, "scope": 1},
               "not_fetched: %s" % report["summary"].get("not_fetched"))


def unreachable_case(work, transport):
    """A host whose robots.txt cannot be fetched (nothing listens on the port) is not crawled at
    all (RFC 9309 2.3.1.4), and the crawl still ends; a host without robots.txt (404) is crawled
    whole, as every other case shows."""
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, stderr, report = crawl(work, ["http://127.0.0.1:%d/index.html" % port], transport)
    if status is None:
        return
    expect(status == 0, "exit %s: %s" % (status, stderr))
    expect("everything disallowed" in stderr and "1 denied by robots.txt" in stderr,
           "the unreachable host: %s" % stderr)
    if report is not None:
        check_summary(report, 0, 0)


def busy_case(work, transport):
    """A page answered 429 with Retry-After: 1 holds back its whole host, not only itself: the
    fetcher tells the frontier (a B record), so no other page of the host starts for that second;
    the page is fetched on its retry and the report is complete."""
    root = os.path.join(work, "busy")
    write(root, "index.html", '<a href="/_fail/1/429/busy.html">b</a>' +
          "".join('<a href="/_slow/200/p%d.html">p</a>' % i for i in range(10)))
    write(root, "busy.html", "busy")
    for i in range(10):
        write(root, "p%d.html" % i, "page %d" % i)
    served = crawl_served(work, root, transport, "--fetchers", "2", "--per-host", "4",
                          name="busy", inspect=lambda server: server.requests(with_times=True))
    if served is None:
        return
    _, stderr, report, times = served
    busy = [t for t, target in times if target == "/_fail/1/429/busy.html"]
    expect(len(busy) == 2, "busy.html requested %d times, not twice (429, then 200)" % len(busy))
    if len(busy) != 2:
        return
    pages = sorted(t - busy[0] for t, target in times if target.startswith("/_slow/200/p"))
    expect(len(pages) == 10, "%d of the 10 pages fetched" % len(pages))
    early = [round(t, 2) for t in pages if t < 0.9]
    expect(len(early) <= 3, "pages answered within 0.9 s of the 429 (at most the 3 already in "
           "flight may be): %s" % early)
    expect(busy[1] - busy[0] >= 0.9, "the 429 page was retried after %.2f s, before its "
           "Retry-After" % (busy[1] - busy[0]))
    expect("hosts asked to wait (429, 503) 1 times" in stderr, "no hold logged: " + stderr)
    check_summary(report, 12, 0)


def sitemaps_case(work, transport):
    """--sitemaps: the Sitemap: lines of robots.txt (an index, followed; a missing sitemap is only
    logged) and /sitemap.xml seed the crawl, within its scope; each sitemap and page is requested
    once, the sitemaps are not counted as pages. Without --sitemaps none is asked for."""
    root = os.path.join(work, "sitemaps")
    write(root, "index.html", '<a href="a.html">a</a>')
    write(root, "a.html", "a")
    write(root, "hidden1.html", '<a href="hidden3.html">3</a>')
    for name in ("hidden2.html", "hidden3.html", "q.html"):
        write(root, name, name)
    server = Server(work, root, name="sitemaps")
    other = server.base.replace("127.0.0.1", "127.0.0.2")
    write(root, "robots.txt", "User-agent: *\nAllow: /\nSitemap: %s/maps/index.xml\n" % server.base)
    write(root, "maps/index.xml", "<sitemapindex><sitemap><loc>%s/maps/pages.xml</loc></sitemap>"
          "<sitemap><loc>missing.xml</loc></sitemap></sitemapindex>" % server.base)
    write(root, "maps/pages.xml", "<urlset><url><loc>%s/hidden1.html</loc></url>"
          "<url><loc>%s/q.html?a=1&amp;b=2</loc></url><url><loc>%s/out.html</loc></url></urlset>"
          % (server.base, server.base, other))
    write(root, "sitemap.xml", "<urlset><url><loc>/hidden2.html</loc></url>"
          "<url><loc>%s/a.html</loc></url></urlset>" % server.base)
    seeds = [server.base + "/index.html"]
    try:
        status, stderr, report = crawl(work, seeds, transport, "--sitemaps", out_name="with")
        started_plain = time.monotonic()
        status_plain, stderr_plain, plain = crawl(work, seeds, transport, out_name="without")
    finally:
        server.stop()
    with_maps = server.requests_since(0, started_plain)
    without_maps = server.requests_since(started_plain)
    if status is None or status_plain is None:
        return
    expect(status == 0 and status_plain == 0, "exit %s, %s: %s %s" %
           (status, status_plain, stderr, stderr_plain))
    wanted = ["/robots.txt", "/maps/index.xml", "/maps/pages.xml", "/maps/missing.xml",
              "/sitemap.xml", "/index.html", "/a.html", "/hidden1.html", "/hidden2.html",
              "/hidden3.html", "/q.html?a=1&b=2"]
    expect(sorted(with_maps) == sorted(wanted), "with --sitemaps requested %s, wanted %s" %
           (sorted(with_maps), sorted(wanted)))
    expect(sorted(without_maps) == ["/a.html", "/index.html", "/robots.txt"],
           "without --sitemaps requested %s" % sorted(without_maps))
    if report is None or plain is None:
        problems.append("no report: " + stderr + stderr_plain)
        return
    check_summary(report, 6, 0)
    expect(report["summary"].get("not_fetched") == {"scope": 1},
           "not_fetched %s, wanted the other host's page as scope" %
           report["summary"].get("not_fetched"))
    expect("4 URLs from sitemaps" in stderr, "the sitemap seeds not logged: " + stderr)
    expect("missing.xml: HTTP 404" in stderr, "the missing sitemap not logged: " + stderr)


def trap_case(work, transport):
    """A trap: /cal/page.html links to a/page.html and b/page.html, and cal/a and cal/b are
    symbolic links back to cal, so every URL under /cal/ serves the same page. Without
    --trap-limit the crawl follows it to --depth and reports /cal/ as a likely trap; with
    --trap-limit 3 it stops following /cal/ after 3 repeats in a row."""
    root = os.path.join(work, "trap")
    write(root, "index.html", '<a href="/cal/page.html">calendar</a> <a href="other.html">o</a>')
    write(root, "other.html", "<p>other</p>")
    write(root, "cal/page.html", '<a href="a/page.html">a</a> <a href="b/page.html">b</a>')
    os.symlink(".", os.path.join(root, "cal", "a"))
    os.symlink(".", os.path.join(root, "cal", "b"))
    reports = {}
    for limit in ("0", "3"):
        served = crawl_served(work, root, transport, "--trap-limit", limit, name="trap" + limit)
        if served is None:
            return
        server, stderr, report, _ = served
        if report is None:
            problems.append("no report: " + stderr)
            return
        calendar = [t for t in server.requests() if t.startswith("/cal/")]
        traps = report["summary"].get("likely_traps", {})
        expect(list(traps) == [server.base + "/cal/"], "likely traps %s" % traps)
        expect("likely trap: %s/cal/" % server.base in stderr, "no trap logged: " + stderr)
        reports[limit] = (len(calendar), report)
    followed, plain = reports["0"]
    stopped, limited = reports["3"]
    expect(followed >= 20, "without --trap-limit only %d pages under /cal/" % followed)
    expect(stopped <= 10, "with --trap-limit 3 still %d pages under /cal/" % stopped)
    expect(limited["summary"]["not_fetched"].get("duplicates", 0) > 0,
           "not_fetched %s" % limited["summary"]["not_fetched"])
    expect("duplicates" not in plain["summary"]["not_fetched"], "duplicates without a limit")
    for report in (plain, limited):
        check_summary(report, report["summary"]["fetched"], 0)


def requested_twice(requests):
    return sorted(t for t, n in collections.Counter(requests).items() if n > 1)


def producer_case(work, transport):
    """SIGKILL of the producer, the frontier, mid-crawl: the restarted producer replays its
    journal and goes on where it stood: no URL is requested twice (robots.txt included), and the
    report equals a clean crawl's."""
    def each_once(requests, stderr):
        expect(not requested_twice(requests),
               "requested twice across the producer's restart: %s" % requested_twice(requests))
        expect("lines replayed" in stderr,
               "the restarted producer did not replay its journal: " + stderr)
    chaos_case(work, transport, roles=("producer",), check=each_once,
               killer=producer_killer(os.path.join(work, "killed", ".dupipe"), 10))


def settled_targets(state_dir):
    """The request targets of the pages whose D record the fetchers' journal holds."""
    urls = {}
    with open(os.path.join(state_dir, "crawl.journal")) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if fields[0] == "U":
                urls[fields[1]] = fields[2]
    settled = set()
    with open(os.path.join(state_dir, "found.journal")) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if fields[0] == "D" and fields[1] in urls:
                settled.add(urlsplit_target(urls[fields[1]]))
    return settled


def urlsplit_target(url):
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def producer_killer(state_dir, pages):
    """A `during` for crawl(): SIGKILL of the producer once the fetchers' journal reports `pages`
    pages (so the kill comes mid-crawl however loaded the machine is), within 30 s."""
    def kill_producer(run_dir_file):
        found = os.path.join(state_dir, "found.journal")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.02)
            try:
                with open(found) as f:
                    done = sum(1 for line in f if line.startswith("D\t"))
                with open(run_dir_file) as f:
                    pids_file = os.path.join(f.read().strip(), "pids")
                with open(pids_file) as f:
                    entries = [line.split() for line in f if line.strip()]
            except FileNotFoundError:
                continue
            live = [int(pid) for r, pid in entries if r == "producer" and is_running(int(pid))]
            if done >= pages and live:
                os.kill(live[0], signal.SIGKILL)
                return
        problems.append("the producer was not killed: %d pages reported in 30 s" % pages)
    return kill_producer


def resume_case(work, transport):
    """kill -9 of the producer with no restart allowed: the run stops with a partial report.
    --resume then replays the frontier's journal and settles from the fetchers' journal what the
    dead producer never read: no page whose report was written is requested again, and the
    report equals a clean crawl's."""
    server = chaos_site(work)
    seeds = [server.base + "/index.html"]
    state_dir = os.path.join(work, "resumed", ".dupipe")
    try:
        status, stderr, clean = crawl(work, seeds, transport, "--fetchers", "3",
                                      out_name="clean")
        expect(status == 0, "clean crawl: exit %s: %s" % (status, stderr))
        started = time.monotonic()
        status, stderr, _ = crawl(work, seeds, transport, "--fetchers", "3", "--max-restarts",
                                  "0", during=producer_killer(state_dir, 10),
                                  out_name="resumed")
        expect(status == 1, "the crawl with its producer killed: exit %s: %s" % (status, stderr))
        settled = settled_targets(state_dir)
        between = time.monotonic()
        status, stderr, resumed = crawl(work, seeds, transport, "--fetchers", "3", "--resume",
                                        out_name="resumed", fresh=False)
    finally:
        server.stop()
    first = server.requests_since(started, between)
    second = server.requests_since(between)
    if status is None or clean is None:
        return
    expect(status == 0, "--resume: exit %s: %s" % (status, stderr))
    expect(0 < len(settled) < 121, "the kill came before or after the crawl: %d pages settled"
           % len(settled))
    expect(first and second, "nothing requested in one of the runs: %d, %d"
           % (len(first), len(second)))
    again = sorted(settled & set(second))
    expect(not again, "settled before the kill and requested again: %s" % again)
    expect(not requested_twice(second), "requested twice by --resume: %s: %s"
           % (requested_twice(second), stderr))
    expect("lines replayed" in stderr, "--resume did not replay the journal: " + stderr)
    if resumed is None:
        problems.append("no report after --resume: " + stderr)
        return
    expect(shape(resumed) == shape(clean), "report after --resume %s, clean %s" %
           (shape(resumed), shape(clean)))
    check_summary(resumed, 121, 0)


def is_running(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def main():
    case, transport = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="dupipe-crawl.")
    try:
        {"site": site_case, "cycle": cycle_case, "max_pages": max_pages_case,
         "polite": polite_case, "chaos": chaos_case, "lost": lost_case,
         "unreachable": unreachable_case, "scope": scope_case,
         "producer": producer_case, "resume": resume_case,
         "busy": busy_case, "sitemaps": sitemaps_case,
         "trap": trap_case}[case](work, transport)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        for problem in problems:
            print("FAIL:", problem, file=sys.stderr)
        sys.exit(1)
    print("crawl %s over %s: ok" % (case, transport))


if __name__ == "__main__":
    main()
