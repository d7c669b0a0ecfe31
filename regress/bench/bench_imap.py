#!/usr/bin/env python3
"""IMAP over TLS, buzon's imapsd beside Dovecot in the same run, on two
copies of one large folder.

    bench_imap.py BUILD_DIR

The folder: MESSAGES messages (100,000 unless BUZON_BENCH_IMAP_MESSAGES
says otherwise) of about 2 KiB, from 500 senders, a third of them seen.
Each server gets its own copy, so neither sees the other's index or
cache.  Timed over one IMAPS connection, the client reading raw
responses:

- SELECT INBOX, cold (the first ever: no index or cache yet) and warm;
- FETCH 1:* (UID FLAGS RFC822.SIZE), the first time and again;
- UID SEARCH FROM, the first time and repeated;
- FETCH of whole bodies (BODY.PEEK[]) of the first FETCH_BODIES, MiB/s;
- PSS of the server's processes per idle logged-in IMAPS connection.

Dovecot (Debian's dovecot-imapd) runs from a configuration of its own on
a loopback port; it needs root.  Without it only buzon's figures are
printed.  A benchmark, not a test: it always exits 0.
"""

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "imapsd"))
from bench_smtp import pss_kib, tree  # noqa: E402
import buzontest  # noqa: E402
from buzontest import free_port  # noqa: E402

MESSAGES = int(os.environ.get("BUZON_BENCH_IMAP_MESSAGES") or 100000)
FETCH_BODIES = 2000
IDLE = 20
DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "bench-pw"


# --- the folder -------------------------------------------------------

def make_folder(md, n):
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    now = int(time.time()) - n
    filler = ("All work and no play makes a dull message. " * 40 + "\n")
    for i in range(n):
        body = ("From: Sender %d <user%d@example.org>\n"
                "To: bench@example.org\n"
                "Subject: message number %d\n"
                "Date: Sat, 21 Nov 2026 10:00:00 +0000\n"
                "Message-ID: <%d@bench.example>\n\n%s" %
                (i % 500, i % 500, i, i, filler)).encode()
        name = "%d.M%dP1Q%d.bench,S=%d:2,%s" % (now + i, i, i, len(body),
                                                 "S" if i % 3 == 0 else "")
        path = os.path.join(md, "cur", name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, body)
        os.close(fd)
        os.utime(path, (now + i, now + i))


def chown_tree(top, uid, gid):
    for root, dirs, files in os.walk(top):
        os.chown(root, uid, gid)
        for f in files:
            os.chown(os.path.join(root, f), uid, gid)


# --- a raw IMAP client --------------------------------------------------

class Client:
    def __init__(self, port):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", port), timeout=600)
        self.s = ctx.wrap_socket(raw)
        self.buf = b""
        self.n = 0
        self.line()

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def cmd(self, text):
        """Runs one command; (tagged line, untagged octets read)."""
        self.n += 1
        tag = b"b%d" % self.n
        self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        octets = 0
        while True:
            line = self.line()
            octets += len(line) + 2
            m = re.search(rb"\{(\d+)\}$", line)
            if m:
                octets += len(self.exact(int(m.group(1))))
                continue
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError(line.decode(errors="replace"))
                return line, octets

    def timed(self, text):
        t0 = time.monotonic()
        _, octets = self.cmd(text)
        return time.monotonic() - t0, octets

    def close(self):
        try:
            self.cmd("LOGOUT")
        except (EOFError, RuntimeError, OSError):
            pass
        self.s.close()


def login(port, user, password):
    c = Client(port)
    c.cmd("LOGIN %s %s" % (user, password))
    return c


def figures(port, user, password, root_pid):
    """Every figure for one server.  Each step has a connection of its
    own, in order; one that fails is reported and the others go on."""
    out, errors = {}, []

    def step(fn):
        c = None
        try:
            c = login(port, user, password)
            fn(c)
        except Exception as e:      # a benchmark reports, never fails
            errors.append(str(e))
        finally:
            if c is not None:
                c.close()

    def first(c):
        out["select cold"], _ = c.timed("SELECT INBOX")
        out["fetch first"], _ = c.timed("FETCH 1:* (UID FLAGS RFC822.SIZE)")
        out["fetch again"], _ = c.timed("FETCH 1:* (UID FLAGS RFC822.SIZE)")

    def warm(c):
        out["select warm"], _ = c.timed("SELECT INBOX")

    def search(c):
        c.cmd("SELECT INBOX")
        out["search first"], _ = c.timed('UID SEARCH FROM "user77@"')
        out["search again"], _ = c.timed('UID SEARCH FROM "user77@"')

    def bodies(c):
        c.cmd("SELECT INBOX")
        secs, octets = c.timed("FETCH 1:%d BODY.PEEK[]" % FETCH_BODIES)
        out["bodies MiB/s"] = octets / secs / (1 << 20)

    for fn in (first, warm, search, bodies):
        step(fn)
    try:
        # The sessions above end after their LOGOUT: not in the base.
        deadline = time.monotonic() + 30
        base = pss_kib(tree(root_pid))
        while time.monotonic() < deadline:
            time.sleep(1)
            now = pss_kib(tree(root_pid))
            if now >= base:
                break
            base = now
        idle = [login(port, user, password) for _ in range(IDLE)]
        time.sleep(1)
        out["idle KiB"] = (pss_kib(tree(root_pid)) - base) / IDLE
        for c in idle:
            c.close()
    except Exception as e:          # a benchmark reports, never fails
        errors.append(str(e))
    if errors:
        out["error"] = "; ".join(errors)
    return out


# --- the servers --------------------------------------------------------

def buzon_start(build, work, md):
    # buzontest read BUZON_BIN when this script imported it.
    os.environ["BUZON_BIN"] = buzontest.BIN = os.path.abspath(build)
    from imapfix import Site, USERS, make_cert
    os.makedirs(work)
    cert = make_cert(work)
    site = Site(work, cert, conf="max_sessions_per_addr 100\n")
    home_md = site.maildir("ana")
    shutil.rmtree(home_md)
    shutil.copytree(md, home_md, symlinks=True)
    if os.geteuid() == 0:
        chown_tree(home_md, USERS["ana"][1], USERS["ana"][1])
    site.start()
    return site, cert, USERS["ana"][0]


DOVECOT_CONF = """base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain
disable_plaintext_auth = yes
mail_location = maildir:~/Maildir
first_valid_uid = 1000
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {base}/users
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
"""


def dovecot_start(work, md, cert):
    base = os.path.join(work, "dovecot")
    for d in ("run", "state", "home"):
        os.makedirs(os.path.join(base, d), exist_ok=True)
    home = os.path.join(base, "home", "bench")
    shutil.copytree(md, os.path.join(home, "Maildir"), symlinks=True)
    chown_tree(home, 2001, 2001)
    with open(os.path.join(base, "users"), "w") as f:
        f.write("bench:{PLAIN}%s:2001:2001::%s::\n" % (PASSWORD, home))
    port = free_port()
    conf = os.path.join(base, "dovecot.conf")
    with open(conf, "w") as f:
        f.write(DOVECOT_CONF.format(base=base, cert=cert[0], key=cert[1],
                                    port=port))
    proc = subprocess.Popen([DOVECOT, "-F", "-c", conf],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, port


ROWS = [("select cold", "s"), ("select warm", "s"), ("fetch first", "s"),
        ("fetch again", "s"), ("search first", "s"), ("search again", "s"),
        ("bodies MiB/s", ""), ("idle KiB", "")]


def report(b, d):
    for key, unit in ROWS:
        text = "   %-13s buzon %s" % (key, fmt(b.get(key), unit))
        if d is not None:
            text += "; dovecot %s" % fmt(d.get(key), unit)
            if b.get(key) and d.get(key):
                text += "; ratio %.2f" % (b[key] / d[key])
        print(text, flush=True)
    for name, r in (("buzon", b), ("dovecot", d or {})):
        if "error" in r:
            print("   %s failed: %s" % (name, r["error"]), flush=True)


def fmt(v, unit):
    if v is None:
        return "-"
    return "%.3f %s" % (v, unit) if unit else "%.1f" % v


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    work = tempfile.mkdtemp(prefix="buzon-bench-imap-")
    os.chmod(work, 0o755)
    site = proc = None
    try:
        md = os.path.join(work, "folder")
        t0 = time.monotonic()
        make_folder(md, MESSAGES)
        print("   folder of %d messages made in %.0f s" %
              (MESSAGES, time.monotonic() - t0), flush=True)
        site, cert, pw = buzon_start(build, os.path.join(work, "buzon"),
                                     md)
        b = figures(site.imaps, "ana", pw, site.pid)
        d = None
        if os.geteuid() == 0 and os.access(DOVECOT, os.X_OK):
            proc, port = dovecot_start(work, md, cert)
            d = figures(port, "bench", PASSWORD, proc.pid)
        else:
            print("   Dovecot not compared: it needs root and the "
                  "dovecot-imapd package", flush=True)
        report(b, d)
    except Exception as e:          # a benchmark reports, never fails
        print("   bench_imap failed: %s" % e)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        if site is not None:
            site.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
