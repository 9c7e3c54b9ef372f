"""Runs a command with its stdout on a pseudo-terminal, for the progress-line tests."""
import os
import pty
import re
import subprocess
import time

# One redraw of the launcher's progress line: CR, the line, erase-to-end (top/progress.hpp).
PROGRESS_DRAW = re.compile(r"\r(\[[#.]{20}\] (\d+)/(\d+)\+? URLs .*?ETA [^\r\n\x1b]*)\x1b\[K")


def run_on_terminal(argv, stderr_path, seconds=120, on_tick=None):
    """Runs argv with stdout on a new pseudo-terminal and stderr to stderr_path. Calls on_tick()
    about every 50 ms while it runs. Returns (exit status, everything written to the terminal)."""
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    started = time.monotonic()
    with open(stderr_path, "wb") as err:
        child = subprocess.Popen(argv, stdout=slave, stderr=err, stdin=subprocess.DEVNULL)
    os.close(slave)
    screen = b""
    while time.monotonic() - started < seconds:
        if on_tick is not None:
            on_tick()
        try:
            chunk = os.read(master, 65536)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        except OSError:  # EIO once every holder of the terminal has exited
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    return child.wait(timeout=30), screen.decode("utf-8", "replace")


def progress_draws(text):
    """Every redraw of the progress line in text: (line, done, total)."""
    return [(line, int(done), int(total)) for line, done, total in PROGRESS_DRAW.findall(text)]
