"""Fixtures of the smtpd-lite tests: a self-signed certificate, mailqueue
and smtpd-lite started on free loopback ports in a temporary directory,
and a raw SMTP client for what smtplib will not send."""

import os
import pwd
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

import buzontest

sys.path.insert(0, os.path.join(buzontest.ROOT, "regress", "authd"))
from authdwire import Authd, mkhash, passwd_line  # noqa: E402,F401

HOST = "mx.example.org"
DOMAIN = "example.org"
MAIL_UID = 2001
CLIENT = "client.example"


def make_cert(d):
    """A self-signed certificate and key in d (made once per test run)."""
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-days", "2", "-subj", "/CN=" + HOST,
                        "-keyout", key, "-out", cert], check=True,
                       capture_output=True, timeout=120)
        os.chmod(key, 0o600)
    return cert, key


def client_tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def own_user():
    return pwd.getpwuid(os.geteuid()).pw_name


def daemon_user():
    return "nobody" if buzontest.IS_ROOT else own_user()


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
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(home, "Maildir", sub)
        for n in sorted(os.listdir(d)):
            with open(os.path.join(d, n), "rb") as f:
                out.append(f.read())
    return out


class Mailqueue:
    """mailqueue in the foreground with its queue in workdir."""

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
        trusted = "root nobody" if buzontest.IS_ROOT else own_user()
        with open(self.conf, "w") as f:
            f.write("queue_dir %s\nsocket %s\nsocket_mode 0666\nuser %s\n"
                    "authd_socket %s\nmaildeliver %s\nlocal_domains %s\n"
                    "trusted_users %s\nhostname %s\n" %
                    (self.queue, self.sock, daemon_user(), authd_sock,
                     buzontest.binary("maildeliver"), domains_file,
                     trusted, HOST))
        self.daemon = None

    def start(self):
        self.daemon = buzontest.Daemon(
            [buzontest.binary("mailqueue"), "-d", "-f", self.conf],
            self.logpath)
        buzontest.wait_for(lambda: (not self.daemon.running()) or
                           buzontest.unix_ready(self.sock)(), 15,
                           "mailqueue socket")
        assert self.daemon.running(), self.log()
        return self

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

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

    def stop(self):
        if self.daemon is not None:
            rc = self.daemon.stop()
            self.daemon = None
            return rc
        return None


class Smtpd:
    """smtpd-lite in the foreground, one listener of each kind."""

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
        self.daemon = None

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

    def start(self):
        self.daemon = buzontest.Daemon(
            [buzontest.binary("smtpd-lite"), "-d", "-v", "-f", self.conf],
            self.logpath)

        def up():
            if not self.daemon.running():
                return True
            try:
                socket.create_connection(("127.0.0.1", self.port["smtp"]),
                                         1).close()
                return True
            except OSError:
                return False
        buzontest.wait_for(up, 15, "smtpd-lite listening")
        assert self.daemon.running(), self.log()
        return self

    @property
    def pid(self):
        return self.daemon.proc.pid

    def sessions(self):
        with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
            return [int(p) for p in f.read().split()]

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def wait_log(self, text, timeout=10):
        buzontest.wait_for(lambda: text in self.log(), timeout,
                           "log line " + text)

    def stop(self):
        rc = None
        if self.daemon is not None:
            rc = self.daemon.stop()
            self.daemon = None
        self.claim_sanitizer()
        return rc


class Reply(tuple):
    @property
    def code(self):
        return self[0]

    @property
    def text(self):
        return self[1]


class Raw:
    """A client that sends exactly the octets it is given."""

    def __init__(self, port, tls=False, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout)
        if tls:
            self.s = client_tls().wrap_socket(self.s)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

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

    def closed(self, timeout=5):
        """True when the server closed (after what is buffered)."""
        self.s.settimeout(timeout)
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, ssl.SSLError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


def wait_for_messages(home, n, timeout=15):
    buzontest.wait_for(lambda: len(maildir_messages(home)) >= n, timeout,
                       "%d message(s) in %s" % (n, home))
    return maildir_messages(home)


def settle(t=0.3):
    time.sleep(t)


# --- a stand-in for mailqueue speaking lib/queueproto.h --------------------

QP_MAIL, QP_RCPT, QP_DATA, QP_END, QP_ABORT = 1, 2, 3, 4, 5
QP_OK, QP_FAIL, QP_TEMPFAIL, QP_ERROR = 0x81, 0x82, 0x83, 0x84
QT_SENDER, QT_FLAGS, QT_RCPT, QT_ID, QT_REASON = 1, 2, 3, 4, 5
QP_F_RECEIVED, QP_F_8BITMIME = 1, 2


def qp_frame(mtype, payload=b""):
    return struct.pack(">BBI", 1, mtype, len(payload)) + payload


def qp_field(tag, value):
    if isinstance(value, str):
        value = value.encode()
    return struct.pack(">BH", tag, len(value)) + value


def qp_fields(payload):
    out, off = {}, 0
    while off < len(payload):
        tag, n = struct.unpack(">BH", payload[off:off + 3])
        out[tag] = payload[off + 3:off + 3 + n]
        off += 3 + n
    return out


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

    @staticmethod
    def read(c, n):
        buf = b""
        while len(buf) < n:
            chunk = c.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def serve(self, c):
        msg = None
        with c:
            while True:
                hdr = self.read(c, 6)
                if hdr is None:
                    return
                _, mtype, n = struct.unpack(">BBI", hdr)
                payload = self.read(c, n) if n else b""
                if payload is None:
                    return
                msg = self.frame(c, msg, mtype, payload)

    def frame(self, c, msg, mtype, payload):
        if mtype == QP_MAIL:
            f = qp_fields(payload)
            return {"sender": f[QT_SENDER].decode(),
                    "flags": struct.unpack(">Q", f[QT_FLAGS])[0],
                    "rcpts": [], "data": b""}
        if mtype == QP_RCPT:
            msg["rcpts"].append(qp_fields(payload)[QT_RCPT].decode())
        elif mtype == QP_DATA:
            msg["data"] += payload
        elif mtype == QP_ABORT:
            with self.lock:
                self.aborts += 1
            return None
        elif mtype == QP_END:
            self.end(c, msg)
            return None
        return msg

    def end(self, c, msg):
        with self.lock:
            if self.answer == "ok":
                qid = "FQ%06d" % (len(self.messages) + 1)
                self.messages.append(msg)
                c.sendall(qp_frame(QP_OK, qp_field(QT_ID, qid)))
            elif self.answer == "fail":
                c.sendall(qp_frame(QP_FAIL, qp_field(QT_REASON,
                                                     "message too big")))
            else:
                c.sendall(qp_frame(QP_TEMPFAIL, qp_field(QT_REASON,
                                                         "disk full")))

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
