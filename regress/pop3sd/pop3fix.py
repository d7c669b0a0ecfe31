"""Fixtures for the pop3sd tests: a certificate, authd with users whose
Maildirs live in the test directory, and pop3sd started on free ports."""

import os
import poplib
import socket
import subprocess
import sys
import time

import buzontest
from buzontest import client_tls as client_ctx

sys.path.insert(0, os.path.join(buzontest.ROOT, "regress", "authd"))
from authdwire import Authd, mkhash, passwd_line  # noqa: E402

USERS = {"ana": ("ana-pw", 2001), "bob": ("bob pw", 2002)}
USERS.update(("u%d" % i, ("u%d-pw" % i, 2010 + i)) for i in range(12))


make_cert = buzontest.make_cert


class Site(buzontest.Service):
    """authd + users + Maildirs + pop3sd in one directory."""

    NAME = "pop3sd"

    def __init__(self, workdir, cert, conf="", plaintext="127.0.0.0/8",
                 authd_conf=""):
        self.dir = workdir
        self.cert = cert
        self.extra = conf
        self.plaintext = plaintext
        self.homes = {}
        lines = []
        for name, (pw, uid) in USERS.items():
            home = os.path.join(workdir, "home", name)
            self.homes[name] = home
            lines.append(passwd_line(name, mkhash(pw), uid, uid, home))
            self.make_home(name, uid)
        self.authd = Authd(workdir, lines, authd_conf)
        self.pop3 = buzontest.free_port()
        self.pop3s = buzontest.free_port()
        self.conf = os.path.join(workdir, "pop3sd.conf")
        self.logpath = os.path.join(workdir, "pop3sd.log")

    def make_home(self, name, uid):
        home = os.path.join(self.dir, "home", name)
        md = os.path.join(home, "Maildir")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(md, sub), exist_ok=True)
        if buzontest.IS_ROOT:
            for root, dirs, files in os.walk(home):
                os.chown(root, uid, uid)
        os.chmod(os.path.join(self.dir, "home"), 0o755)

    def maildir(self, user="ana"):
        return os.path.join(self.homes[user], "Maildir")

    def listen_lines(self):
        return ("listen 127.0.0.1 %d pop3\nlisten 127.0.0.1 %d pop3s\n" %
                (self.pop3, self.pop3s))

    def write_conf(self):
        empty = os.path.join(self.dir, "empty")
        os.makedirs(empty, exist_ok=True)
        os.chmod(empty, 0o755)
        text = self.listen_lines() + (
            "tls_cert %s\ntls_key %s\nuser %s\nchroot %s\n"
            "authd_socket %s\n" %
            (self.cert[0], self.cert[1], buzontest.daemon_user(), empty,
             self.authd.sock))
        if self.plaintext:
            text += "plaintext_networks %s\n" % self.plaintext
        text += self.extra
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self):
        self.authd.start()
        self.write_conf()
        return self.spawn(
            [buzontest.binary(self.NAME), "-d", "-v", "-f", self.conf],
            lambda: "event=start" in self.log())

    def stop(self):
        rc = self.stop_daemon()
        self.authd.stop()
        return rc

    # --- clients ---

    def pop3s_client(self, timeout=20):
        return poplib.POP3_SSL("127.0.0.1", self.pop3s, timeout=timeout,
                               context=client_ctx())

    def pop3_client(self, timeout=20):
        return poplib.POP3("127.0.0.1", self.pop3, timeout=timeout)

    def login(self, user="ana", tls=True):
        c = self.pop3s_client() if tls else self.pop3_client()
        c.user(user)
        c.pass_(USERS[user][0])
        return c

    def raw(self, tls=True):
        s = socket.create_connection(("127.0.0.1",
                                      self.pop3s if tls else self.pop3),
                                     timeout=20)
        if tls:
            s = client_ctx().wrap_socket(s)
        return Raw(s)

    # --- mail ---

    def put(self, data, user="ana", sub="new", name=None, info=""):
        md = self.maildir(user)
        if name is None:
            put.counter += 1
            name = "%d.M%dP%dQ%d.testhost,S=%d" % (
                int(time.time()) - 1000 + put.counter, put.counter,
                os.getpid(), put.counter, len(data))
        tmp = os.path.join(md, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
        dest = os.path.join(md, sub, name + (info if sub == "cur" else ""))
        os.rename(tmp, dest)
        if buzontest.IS_ROOT:
            uid = USERS[user][1]
            os.chown(dest, uid, uid)
        return name

    def deliver(self, data, user="ana"):
        env = {k: v for k, v in os.environ.items()
               if k.startswith(("ASAN_", "UBSAN_", "LSAN_"))}
        env["PATH"] = "/usr/bin:/bin"
        argv = [buzontest.binary("maildeliver"), "-f", "bob@example.com",
                "-r", user + "@example.org", "-d", self.maildir(user)]
        uid = USERS[user][1]
        kw = {}
        if buzontest.IS_ROOT:
            kw = {"user": uid, "group": uid}
        r = subprocess.run(argv, input=data, env=env, capture_output=True,
                           timeout=60, **kw)
        assert r.returncode == 0, r.stderr


def put():
    pass


put.counter = 0


class Raw(buzontest.LineClient):
    """A line-level client on a plain or TLS socket."""

    def line(self):
        """The next line; at EOF what is left, maybe b""."""
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(4096)
            if not chunk:
                r, self.buf = self.buf, b""
                return r
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.line()

    def multi(self):
        lines = []
        while True:
            line = self.line()
            if line == b".":
                return lines
            lines.append(line)
