"""Helpers for the integration tests: locate the build, start and stop the
daemons, pick free loopback ports, read sanitizer reports."""

import os
import pwd
import signal
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(os.environ.get("BUZON_BIN",
                                     os.path.join(ROOT, "build-san")))
SANLOG = os.environ.get("BUZON_SANLOG")
IS_ROOT = os.geteuid() == 0


def binary(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s is not built (BUZON_BIN=%s)" % (name, BIN))
    return path


def sanitizer_reports():
    if not SANLOG or not os.path.isdir(SANLOG):
        return []
    return sorted(n for n in os.listdir(SANLOG)
                  if os.path.isfile(os.path.join(SANLOG, n)))


def claim_reports(names):
    """Returns the reports' text and moves them out of the way."""
    seen = os.path.join(SANLOG, "claimed")
    os.makedirs(seen, exist_ok=True)
    text = []
    for n in names:
        src = os.path.join(SANLOG, n)
        with open(src, errors="replace") as f:
            text.append(f.read())
        os.rename(src, os.path.join(seen, n))
    return "\n".join(text)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise TimeoutError("timed out waiting for " + what)


def unix_ready(path):
    def probe():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()
    return probe


def unprivileged_user():
    """A uid/gid other than ours for tests run as root."""
    for name in ("nobody", "daemon"):
        try:
            pw = pwd.getpwnam(name)
            return pw.pw_uid, pw.pw_gid
        except KeyError:
            pass
    raise RuntimeError("no unprivileged user on this system")


class Daemon:
    """One started program in the foreground (-d), with its stderr kept in
    a file; stop() ends it with SIGTERM and reports how it ended."""

    def __init__(self, argv, logpath, env=None):
        self.logpath = logpath
        self.log = open(logpath, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log,
                                     env=env)

    def running(self):
        return self.proc.poll() is None

    def logtext(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode
