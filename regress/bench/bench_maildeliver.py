#!/usr/bin/env python3
"""maildeliver deliveries per second beside this disk's own limit.

    bench_maildeliver.py BUILD_DIR

For 1 KiB and 100 KiB messages: maildeliver run sequentially (one fork and
exec per message, as a queue runs it) into a fresh Maildir, and diskbench
(create, write, fsync, rename, fsync dir) with the same size on the same
filesystem, in the same run.  Prints for each size

    maildeliver 1 KiB: 850 msg/s; disk limit 1200 ops/s; ratio 0.71

and last the rate of fork+exec of true(1) from the same loop, the ceiling
that process start-up alone puts on any per-message delivery agent.

A benchmark, not a test: it always exits 0.  BUZON_BENCH_DIR chooses the
filesystem (default: the system's temporary directory).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SIZES = ((1024, "1 KiB", 400), (100 * 1024, "100 KiB", 200))
TIME_CAP = 5.0          # seconds of maildeliver runs per size, at most
SENDER = "bench@example.com"
RCPT = "ana@example.org"


def message(size):
    """A message of exactly size octets."""
    head = b"From: <%s>\nTo: <%s>\nSubject: bench\n\n" % (
        SENDER.encode(), RCPT.encode())
    line = b"x" * 71 + b"\n"
    body = (line * (size // len(line) + 1))[:size - len(head)]
    return head + body


def deliveries(build, base, size, count):
    """Runs maildeliver up to count times; returns (done, msg/s)."""
    md = os.path.join(base, "Maildir-%d" % size)
    subprocess.run([os.path.join(build, "maildirmake"), md], check=True)
    src = os.path.join(base, "msg-%d" % size)
    with open(src, "wb") as f:
        f.write(message(size))
    argv = [os.path.join(build, "maildeliver"), "-d", md, "-f", SENDER,
            "-r", RCPT]
    done = 0
    start = time.monotonic()
    while done < count and time.monotonic() - start < TIME_CAP:
        with open(src, "rb") as f:
            subprocess.run(argv, stdin=f, check=True)
        done += 1
    secs = time.monotonic() - start
    shutil.rmtree(md, ignore_errors=True)
    return done, done / secs


def disk_limit(build, base, size, count):
    out = subprocess.run([os.path.join(build, "diskbench"), base, str(size),
                          str(count)], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"([0-9.]+) ops/s", out)
    if not m:
        raise RuntimeError("diskbench said: " + out.strip())
    return float(m.group(1))


def spawn_floor(count=300):
    """fork+exec per second of /bin/true: the ceiling of any delivery
    agent started once per message from here."""
    start = time.monotonic()
    for _ in range(count):
        subprocess.run(["true"], stdin=subprocess.DEVNULL)
    return count / (time.monotonic() - start)


def run(build):
    """Returns one result line per message size."""
    base = tempfile.mkdtemp(prefix="buzon-bench-",
                            dir=os.environ.get("BUZON_BENCH_DIR"))
    lines = []
    try:
        for size, label, count in SIZES:
            done, rate = deliveries(build, base, size, count)
            disk = disk_limit(build, base, size, done)
            lines.append("maildeliver %s: %.0f msg/s; disk limit %.0f ops/s; "
                         "ratio %.2f" % (label, rate, disk,
                                         rate / disk if disk else 0.0))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    lines.append("maildeliver spawn floor: %.0f exec/s of true(1)"
                 % spawn_floor())
    return lines


def main():
    if len(sys.argv) != 2:
        print("usage: bench_maildeliver.py BUILD_DIR")
        return 0
    try:
        for line in run(os.path.abspath(sys.argv[1])):
            print(line, flush=True)
    except Exception as e:      # a benchmark never fails the build
        print("maildeliver bench skipped: %s" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
