"""Fixtures of the smtpd-lite tests: mailqueue and smtpd-lite started on
free loopback ports in a temporary directory, the daemons a test module
shares (smtpd_env), a stand-in queue, and a raw SMTP client for what
smtplib will not send."""

import contextlib
import os
import pwd
import shutil
import socket
import sys
import tempfile
import threading
import time

import buzontest
from buzontest import client_tls, daemon_user  # noqa: F401

for _d in ("authd", "mailqueue"):
    sys.path.insert(0, os.path.join(buzontest.ROOT, "regress", _d))
from authdwire import Authd, mkhash, passwd_line  # noqa: E402,F401
import queuewire  # noqa: E402
from queuewire import (F_8BITMIME as QP_F_8BITMIME,  # noqa: E402,F401
                       F_RECEIVED as QP_F_RECEIVED)

HOST = "mx.example.org"
DOMAIN = "example.org"
MAIL_UID = 2001
CLIENT = "client.example"


def make_cert(d):
    """A self-signed certificate for HOST and its key in d."""
    return buzontest.make_cert(d, HOST)


def mail_ids():
    return (MAIL_UID, MAIL_UID) if buzontest.IS_ROOT else (os.geteuid(),
                                                            os.getegid())


def make_home(workdir, user):
    """A home with a Maildir owned by the mail uid; returns the home."""
    home = os.path.join(workdir, "home", user)
    md = os.path.join(home, "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    os.chmod(os.path.join(workdir, "home"), 0o755)
    uid, gid = mail_ids()
    for top, dirs, files in os.walk(home):
        os.chown(top, uid, gid)
        os.chmod(top, 0o700)
    return home


def maildir_messages(home):
    return buzontest.maildir_messages(os.path.join(home, "Maildir"))


class Mailqueue(buzontest.Service):
    """mailqueue in the foreground with its queue in workdir."""

    NAME = "mailqueue"

    def __init__(self, workdir, authd_sock, domains_file):
        self.dir = workdir
        self.queue = os.path.join(workdir, "queue")
        self.sock = os.path.join(workdir, "queue.sock")
        self.conf = os.path.join(workdir, "mailqueue.conf")
        self.logpath = os.path.join(workdir, "mailqueue.log")
        os.makedirs(self.queue, exist_ok=True)
        if buzontest.IS_ROOT:
            pw = pwd.getpwnam("nobody")
            os.chown(self.queue, pw.pw_uid, pw.pw_gid)
        os.chmod(self.queue, 0o700)
        trusted = "root nobody" if buzontest.IS_ROOT else daemon_user()
        with open(self.conf, "w") as f:
            f.write("queue_dir %s\nsocket %s\nsocket_mode 0666\nuser %s\n"
                    "authd_socket %s\nmaildeliver %s\nlocal_domains %s\n"
                    "trusted_users %s\nhostname %s\n" %
                    (self.queue, self.sock, daemon_user(), authd_sock,
                     buzontest.binary("maildeliver"), domains_file,
                     trusted, HOST))

    def start(self):
        return self.spawn(
            [buzontest.binary("mailqueue"), "-d", "-f", self.conf],
            buzontest.unix_ready(self.sock))

    def envelopes(self):
        """Texts of the envelopes in env/ (messages still queued)."""
        d = os.path.join(self.queue, "env")
        out = []
        for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if n.startswith("."):
                continue
            with open(os.path.join(d, n), errors="replace") as f:
                out.append(f.read())
        return out


class Smtpd(buzontest.Service):
    """smtpd-lite in the foreground, one listener of each kind."""

    NAME = "smtpd-lite"

    def __init__(self, workdir, authd_sock, queue_sock, cert, key,
                 domains_file, conf=""):
        self.dir = workdir
        self.chroot = os.path.join(workdir, "empty")
        os.makedirs(self.chroot, exist_ok=True)
        os.chmod(self.chroot, 0o755)
        self.port = {k: buzontest.free_port()
                     for k in ("smtp", "smtps", "submission")}
        self.conf = os.path.join(workdir, "smtpd-lite.conf")
        self.logpath = os.path.join(workdir, "smtpd-lite.log")
        text = "".join("listen 127.0.0.1 %d %s\n" % (p, k)
                       for k, p in self.port.items())
        text += ("hostname %s\nuser %s\nchroot %s\nauthd_socket %s\n"
                 "queue_socket %s\nlocal_domains %s\ntls_cert %s\n"
                 "tls_key %s\n" % (HOST, daemon_user(), self.chroot,
                                   authd_sock, queue_sock, domains_file,
                                   cert, key))
        with open(self.conf, "w") as f:
            f.write(text + conf)
        self.sanlog_inside()

    def sanlog_inside(self):
        """Sessions live in the chroot: their sanitizer reports go to the
        same path below it, and are moved out by claim_sanitizer()."""
        if buzontest.SANLOG and buzontest.IS_ROOT:
            d = self.chroot + buzontest.SANLOG
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o1777)

    def claim_sanitizer(self):
        if not (buzontest.SANLOG and buzontest.IS_ROOT):
            return
        d = self.chroot + buzontest.SANLOG
        for n in os.listdir(d):
            p = os.path.join(d, n)
            if os.path.isfile(p):
                shutil.move(p, os.path.join(buzontest.SANLOG, n))

    def listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port["smtp"]),
                                     1).close()
            return True
        except OSError:
            return False

    def start(self):
        return self.spawn(
            [buzontest.binary("smtpd-lite"), "-d", "-v", "-f", self.conf],
            self.listening)

    def sessions(self):
        return self.children()

    def stop(self):
        rc = self.stop_daemon()
        self.claim_sanitizer()
        return rc


class Reply(tuple):
    @property
    def code(self):
        return self[0]

    @property
    def text(self):
        return self[1]


class Raw(buzontest.LineClient):
    """A client that sends exactly the octets it is given."""

    CLOSE_WAIT = 5

    def __init__(self, port, tls=False, timeout=10):
        s = socket.create_connection(("127.0.0.1", port), timeout)
        super().__init__(client_tls().wrap_socket(s) if tls else s)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed; have %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        """(code, text of every line joined by newlines)."""
        lines = []
        while True:
            line = self.line()
            lines.append(line[4:].decode())
            if line[3:4] != b"-":
                return Reply((int(line[:3]), "\n".join(lines)))

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.reply()

    def starttls(self):
        assert self.buf == b"", self.buf
        self.s = client_tls().wrap_socket(self.s)


def wait_for_messages(home, n, timeout=15):
    buzontest.wait_for(lambda: len(maildir_messages(home)) >= n, timeout,
                       "%d message(s) in %s" % (n, home))
    return maildir_messages(home)


def settle(t=0.3):
    time.sleep(t)


# --- one module's daemons ---------------------------------------------------

class Env:
    """What the tests of one module share: a directory, a certificate,
    the local domains, authd, a queue and smtpd-lite."""


def start_env(prefix, domains, users, queue=None, conf=""):
    """users: passwd lines, or a function of the Env that makes them;
    queue: a function of the Env that starts one (a FakeQueue if None)."""
    e = Env()
    e.dir = tempfile.mkdtemp(prefix=prefix)
    os.chmod(e.dir, 0o755)
    e.cert, e.key = make_cert(e.dir)
    e.domains = os.path.join(e.dir, "local-host-names")
    with open(e.domains, "w") as f:
        f.write(domains)
    os.makedirs(os.path.join(e.dir, "authd"))
    lines = users(e) if callable(users) else users
    e.authd = Authd(os.path.join(e.dir, "authd"), lines).start()
    e.queue = queue(e) if queue else FakeQueue(e.dir)
    e.smtpd = Smtpd(e.dir, e.authd.sock, e.queue.sock, e.cert, e.key,
                    e.domains, conf).start()
    return e


def stop_env(e):
    """Stops it all; smtpd-lite and the queue must exit cleanly, and no
    session may have died on the way."""
    log = e.smtpd.log()
    rc = e.smtpd.stop()
    queue_rc = e.queue.stop()
    e.authd.stop()
    shutil.rmtree(e.dir, ignore_errors=True)
    assert rc == 0
    assert "session_died" not in log and "session_exit" not in log, log
    assert queue_rc == 0


@contextlib.contextmanager
def smtpd_env(prefix, domains, users, queue=None, conf=""):
    """The module fixture of every smtpd-lite test file."""
    e = start_env(prefix, domains, users, queue, conf)
    yield e
    stop_env(e)


# --- a stand-in for mailqueue speaking lib/queueproto.h --------------------

def answer(mtype, name, value):
    """mailqueue's answer to END: one frame with one field."""
    return queuewire.frame(mtype, queuewire.field(name, value))


class FakeQueue:
    """Answers END with OK (a fresh id), FAIL or TEMPFAIL as self.answer
    says, and keeps every committed message in self.messages."""

    def __init__(self, workdir):
        self.sock = os.path.join(workdir, "fakequeue.sock")
        self.answer = "ok"
        self.messages = []
        self.aborts = 0
        self.lock = threading.Lock()
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.sock)
        os.chmod(self.sock, 0o666)
        self.srv.listen(64)
        self.stopping = False
        self.thread = threading.Thread(target=self.accept_loop, daemon=True)
        self.thread.start()

    def accept_loop(self):
        while not self.stopping:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,),
                             daemon=True).start()

    def serve(self, c):
        """Frames until the client closes (or cuts a frame short)."""
        msg = None
        with c:
            while True:
                try:
                    got = queuewire.LAYOUT.read_frame(c)
                except EOFError:
                    return
                if got is None:
                    return
                msg = self.frame(c, msg, got[1], got[2])

    def frame(self, c, msg, mtype, payload):
        if mtype == queuewire.MAIL:
            f = queuewire.decode(payload)
            return {"sender": f["sender"], "flags": f["flags"],
                    "rcpts": [], "data": b""}
        if mtype == queuewire.RCPT:
            msg["rcpts"].append(queuewire.decode(payload)["rcpt"])
        elif mtype == queuewire.DATA:
            msg["data"] += payload
        elif mtype == queuewire.ABORT:
            with self.lock:
                self.aborts += 1
            return None
        elif mtype == queuewire.END:
            self.end(c, msg)
            return None
        return msg

    def end(self, c, msg):
        with self.lock:
            if self.answer == "ok":
                qid = "FQ%06d" % (len(self.messages) + 1)
                self.messages.append(msg)
                c.sendall(answer(queuewire.OK, "id", qid))
            elif self.answer == "fail":
                c.sendall(answer(queuewire.FAIL, "reason",
                                 "message too big"))
            else:
                c.sendall(answer(queuewire.TEMPFAIL, "reason", "disk full"))

    def stop(self):
        self.stopping = True
        try:
            self.srv.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.srv.close()
        try:
            os.unlink(self.sock)
        except OSError:
            pass
        return 0
