#!/usr/bin/env python3
"""One SIGTERM stops a stage: trials of a single SIGTERM sent at a random moment to a stage that
is blocked (or about to block) reading an empty FIFO or shm queue, writing a full one, or waiting
for the flock of a shared FIFO that this test holds. Every trial must end with exit status 143
within 200 ms of the signal; no signal is ever sent twice.

Usage: one_signal_test.py [TRIALS]  (default 1000, spread evenly over the scenarios).
Needs DUPIPE_BIN_DIR. Prints the latency distribution; exits 1 if any trial failed.
"""
import fcntl
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("DUPIPE_BIN_DIR", "")
BOUND_S = 0.200      # the contract: exit within 200 ms of the one signal
GIVE_UP_S = 2.0      # a stage still there after this is SIGKILLed (and the trial failed)
SETUP_S = 5.0        # the longest a stage may take to open its endpoints
HASHED_BYTES = 8 << 20  # the hasher is busy this long with a record before it blocks again


def wait_until(predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.0005)


def has_open(pid, path):
    """The process has `path` open (a FIFO descriptor) or mapped (a shm segment)."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == path:
                    return True
            except OSError:
                pass
        with open(f"/proc/{pid}/maps") as maps:
            return any(line.rstrip().endswith(path) for line in maps)
    except OSError:
        return False


class Trial:
    """One stage process, its endpoints, and the one signal."""

    def __init__(self, work, index):
        self.work = work
        self.dir = tempfile.mkdtemp(dir=work, prefix=f"t{index}-")
        self.keepers = []     # descriptors this test holds on the stage's FIFO
        self.shm_names = []

    def fifo(self, name, keeper_flags=os.O_RDWR):
        path = os.path.join(self.dir, name)
        os.mkfifo(path, 0o600)
        # O_RDWR: a writer that keeps the reader from seeing end of file, and a reader that lets
        # a writer's open(2) return; never read or written unless the scenario says so.
        self.keepers.append(os.open(path, keeper_flags | os.O_NONBLOCK))
        return path

    def shm(self, capacity=1 << 20):
        name = f"dupipe-onesig-{os.getpid()}-{random.getrandbits(32):08x}"
        subprocess.run([f"{BIN}/dupipe-shm", "create", name, "--writers", "1",
                        "--capacity", str(capacity)], check=True, timeout=10)
        self.shm_names.append(name)
        return name

    def close(self):
        for fd in self.keepers:
            os.close(fd)
        if self.shm_names:
            subprocess.run([f"{BIN}/dupipe-shm", "remove", *self.shm_names], timeout=10,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def big_file(work):
    path = os.path.join(work, "big.bin")
    if not os.path.exists(path):
        with open(path, "wb") as out:
            out.write(os.urandom(HASHED_BYTES))
    return path


def urls_file(work):
    path = os.path.join(work, "urls.txt")
    if not os.path.exists(path):
        with open(path, "w") as out:
            for i in range(20000):  # far more than a 64 KiB pipe buffer or an 8 KiB ring holds
                out.write(f"http://127.0.0.1:9/file-{i:06d}.bin\n")
    return path


# Each scenario starts a stage and returns (argv, path to watch for, action before the signal,
# largest random delay in seconds between the stage being ready and the signal).

def reader_fifo(stage_args, feed=None, lock=False, delay=0.01):
    def make(t):
        path = t.fifo("in")
        if lock:
            fcntl.flock(t.keepers[0], fcntl.LOCK_EX)  # the stage waits for this lock

        def before():
            if feed:
                os.write(t.keepers[0], feed(t))
        return stage_args(t, "fifo:" + path), path, before, delay
    return make


def reader_shm(stage_args, delay=0.01):
    def make(t):
        name = t.shm()
        return stage_args(t, "shm:" + name), "/dev/shm/" + name, None, delay
    return make


def hasher(t, endpoint):
    return [f"{BIN}/hasher", "--algo", "sha256", "--in", endpoint,
            "--out", os.path.join(t.dir, "digests")]


def fetcher(t, endpoint):
    files = os.path.join(t.dir, "files")
    os.mkdir(files)
    return [f"{BIN}/fetcher", "--files-dir", files, "--in", endpoint,
            "--out", os.path.join(t.dir, "paths")]


def aggregator(t, endpoint):
    return [f"{BIN}/aggregator", "--algo", "sha256", "--in", endpoint,
            "--out", os.path.join(t.dir, "report")]


def hasher_work(t):
    return f"P\tid0\thttp://h/big\t{big_file(t.work)}\t{HASHED_BYTES}\n".encode()


def aggregator_work(_t):
    return "".join(f"F\tid{i}\thttp://h/{i}\tfetcher\tHTTP 404\n" for i in range(200)).encode()


def producer_fifo(t):
    path = t.fifo("out", os.O_RDONLY)  # a reader that never reads: the FIFO fills up
    return [f"{BIN}/producer", urls_file(t.work), "--out", "fifo:" + path], path, None, 0.02


def producer_shm(t):
    name = t.shm(capacity=8192)  # no reader ever attaches: the writer waits for room
    return ([f"{BIN}/producer", urls_file(t.work), "--out", "shm:" + name],
            "/dev/shm/" + name, None, 0.02)


SCENARIOS = {
    "hasher.fifo.read": reader_fifo(hasher, feed=hasher_work, delay=0.03),
    "hasher.fifo.lock": reader_fifo(hasher, lock=True),
    "hasher.shm.read": reader_shm(hasher),
    "fetcher.fifo.read": reader_fifo(fetcher),
    "fetcher.fifo.lock": reader_fifo(fetcher, lock=True),
    "fetcher.shm.read": reader_shm(fetcher),
    "aggregator.fifo.read": reader_fifo(aggregator, feed=aggregator_work, delay=0.005),
    "aggregator.shm.read": reader_shm(aggregator),
    "producer.fifo.write": producer_fifo,
    "producer.shm.write": producer_shm,
}


def run_trial(work, index, name):
    """Returns (latency in seconds or None, problem or None)."""
    t = Trial(work, index)
    proc = None
    try:
        argv, watched, before, max_delay = SCENARIOS[name](t)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        wait_until(lambda: has_open(proc.pid, watched) or proc.poll() is not None, SETUP_S,
                   f"{name} to open {watched}")
        if proc.poll() is not None:
            return None, f"exited early with {proc.returncode}: {proc.stderr.read().decode()}"
        if before:
            before()
        time.sleep(random.uniform(0, max_delay))
        pidfd = os.pidfd_open(proc.pid)
        try:
            sent = time.monotonic()
            os.kill(proc.pid, signal.SIGTERM)  # once: never resent
            ready, _, _ = select.select([pidfd], [], [], GIVE_UP_S)
            latency = time.monotonic() - sent
        finally:
            os.close(pidfd)
        if not ready:
            proc.kill()
            proc.wait(timeout=10)
            return None, f"still running {GIVE_UP_S} s after one SIGTERM"
        status = proc.wait(timeout=10)
        if status != 143:
            return latency, f"exit status {status}, not 143: {proc.stderr.read().decode()[-300:]}"
        if latency > BOUND_S:
            return latency, f"took {latency * 1000:.0f} ms"
        if name.startswith("aggregator") and not os.path.exists(
                os.path.join(t.dir, "report", "report.json")):
            return latency, "no partial report written"
        return latency, None
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc:
            proc.stderr.close()
        t.close()


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main():
    if not BIN:
        print("DUPIPE_BIN_DIR is not set", file=sys.stderr)
        return 2
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    names = list(SCENARIOS)
    order = [names[i % len(names)] for i in range(trials)]
    random.shuffle(order)
    latencies = {name: [] for name in names}
    failures = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dupipe-onesig-") as work:
        for index, name in enumerate(order):
            latency, problem = run_trial(work, index, name)
            if latency is not None:
                latencies[name].append(latency)
            if problem:
                failures.append((name, problem))
    everything = sorted(v for values in latencies.values() for v in values)
    for name in names:
        values = sorted(latencies[name])
        if values:
            print(f"{name:22} n={len(values):4} median={percentile(values, 0.5) * 1000:6.1f} ms "
                  f"p99={percentile(values, 0.99) * 1000:6.1f} ms max={values[-1] * 1000:6.1f} ms "
                  f"over 200 ms: {sum(v > BOUND_S for v in values)}")
    if everything:
        print(f"all: {len(everything)} trials in {time.monotonic() - started:.0f} s, "
              f"p99 {percentile(everything, 0.99) * 1000:.1f} ms, max {everything[-1] * 1000:.1f} ms")
    for name, problem in failures[:20]:
        print(f"FAIL {name}: {problem}")
    print(f"{trials - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
