"""The queue socket protocol in Python (lib/queueproto.h), and a started
mailqueue with authd, users and Maildirs in a temporary directory."""

import json
import os
import re
import sys

import buzontest
import wire

sys.path.insert(0, os.path.join(buzontest.ROOT, "regress", "authd"))
from authdwire import Authd, mkhash, passwd_line  # noqa: E402

VERSION = 1
MAIL, RCPT, DATA, END, ABORT, LIST = 0x01, 0x02, 0x03, 0x04, 0x05, 0x10
OK, FAIL, TEMPFAIL, ERROR = 0x81, 0x82, 0x83, 0x84
ENTRY, ENTRY_RCPT, LISTEND = 0x90, 0x91, 0x92
TAGS = {"sender": 1, "flags": 2, "rcpt": 3, "id": 4, "reason": 5,
        "created": 6, "size": 7, "state": 8}
U64 = ("flags", "created", "size")
F_RECEIVED, F_8BITMIME = 0x01, 0x02
FRAME_MAX = 65536
LAYOUT = wire.Layout(">BBI", TAGS, U64, ">Q", VERSION)
field, frame, decode = LAYOUT.field, LAYOUT.frame, LAYOUT.decode


def mail_frame(sender, flags=0):
    return frame(MAIL, field("sender", sender) + field("flags", flags))


def rcpt_frame(rcpt):
    return frame(RCPT, field("rcpt", rcpt))


def data_frames(data, chunk=16384):
    return b"".join(frame(DATA, data[i:i + chunk])
                    for i in range(0, len(data), chunk))


class Conn(wire.Conn):
    """One connection to the queue socket."""

    LAYOUT = LAYOUT
    TIMEOUT = 30.0

    def submit(self, sender, rcpts, data, flags=0):
        """Sends one message; returns the answer (type, fields)."""
        if isinstance(data, str):
            data = data.encode()
        out = mail_frame(sender, flags)
        out += b"".join(rcpt_frame(r) for r in rcpts)
        out += data_frames(data) + frame(END)
        self.send(out)
        return self.recv_frame()

    def list(self):
        """[(entry fields, [rcpt fields...])]"""
        self.send(frame(LIST))
        out = []
        while True:
            t, f = self.recv_frame()
            if t == LISTEND:
                return out
            if t == ENTRY:
                out.append((f, []))
            else:
                assert t == ENTRY_RCPT, t
                out[-1][1].append(f)


queue_user = buzontest.daemon_user


class User:
    def __init__(self, name, uid, home):
        self.name, self.uid, self.home = name, uid, home
        self.maildir = os.path.join(home, "Maildir")

    def messages(self):
        new = os.path.join(self.maildir, "new")
        if not os.path.isdir(new):
            return []
        out = []
        for n in sorted(os.listdir(new)):
            with open(os.path.join(new, n), "rb") as f:
                out.append(f.read())
        return out

    def files(self):
        new = os.path.join(self.maildir, "new")
        if not os.path.isdir(new):
            return []
        return [os.path.join(new, n) for n in sorted(os.listdir(new))]


class Mailqueue(buzontest.Service):
    """authd (file backend) plus mailqueue, in workdir."""

    NAME = "mailqueue"
    LOG_WAIT = 15

    USERS = (("ana", 2101), ("bob", 2102), ("cyd", 2103))

    def __init__(self, workdir, conf="", maildeliver=None, users=None,
                 env=None):
        self.dir = workdir
        self.sock = os.path.join(workdir, "queue.sock")
        self.qdir = os.path.join(workdir, "queue")
        self.conf = os.path.join(workdir, "mailqueue.conf")
        self.logpath = os.path.join(workdir, "mailqueue.log")
        self.domains = os.path.join(workdir, "local-host-names")
        self.env = env
        homes = os.path.join(workdir, "home")
        os.makedirs(homes, exist_ok=True)
        os.chmod(homes, 0o755)
        self.users = {}
        lines = []
        for name, uid in (users or self.USERS):
            home = os.path.join(homes, name)
            os.mkdir(home, 0o755)
            if buzontest.IS_ROOT:
                os.chown(home, uid, uid)
            else:
                uid = os.geteuid()
            self.users[name] = User(name, uid, home)
            lines.append(passwd_line(name, mkhash(name + "-pw"), uid, uid,
                                     home))
        self.authd = Authd(os.path.join(workdir), lines)
        with open(self.domains, "w") as f:
            f.write("# local\nexample.org\nmail.example.org\n")
        self.maildeliver = maildeliver or buzontest.binary("maildeliver")
        base = [("queue_dir", self.qdir), ("socket", self.sock),
                ("user", queue_user()), ("authd_socket", self.authd.sock),
                ("maildeliver", self.maildeliver),
                ("local_domains", self.domains),
                ("hostname", "mx.example.org"), ("retry_min", "1s"),
                ("retry_max", "4s")]
        given = {line.split()[0] for line in conf.splitlines()
                 if line.strip() and not line.startswith("#")}
        self.text = "".join("%s %s\n" % kv for kv in base
                            if kv[0] not in given) + conf
        with open(self.conf, "w") as f:
            f.write(self.text)
        self.daemon = None
        self.last_rc = None

    def start(self):
        if self.authd.daemon is None:
            self.authd.start()
        try:
            return self.start_queue()
        except BaseException:
            self.authd.stop()
            raise

    def start_queue(self):
        """Starts mailqueue alone; ready once this start is logged."""
        seen = len(self.log())
        return self.spawn(
            [buzontest.binary("mailqueue"), "-d", "-v", "-f", self.conf],
            lambda: "queue event=start" in self.log()[seen:], env=self.env)

    def connect(self, timeout=None):
        return Conn(self.sock, timeout)

    def submit(self, sender, rcpts, data, flags=0):
        c = self.connect()
        try:
            return c.submit(sender, rcpts, data, flags)
        finally:
            c.close()

    def queued(self, sub="env"):
        return sorted(os.listdir(os.path.join(self.qdir, sub)))

    def envelope(self, qid):
        with open(os.path.join(self.qdir, "env", qid)) as f:
            return f.read()

    def stop_queue(self):
        """Stops mailqueue alone; stopped twice, the first status."""
        if self.daemon is not None:
            self.last_rc = self.stop_daemon()
        return self.last_rc

    def stop(self):
        rc = self.stop_queue()
        self.authd.stop()
        return rc


def wait_delivered(user, n=1, timeout=20):
    buzontest.wait_for(lambda: len(user.messages()) >= n, timeout,
                       "%d message(s) for %s" % (n, user.name))
    return user.messages()


def submit_as(path, uid, gid, sender, rcpts, data, flags=0):
    """Submits from a child running as uid/gid; returns (type, fields)."""
    def submit():
        c = Conn(path, timeout=20)
        return json.dumps(c.submit(sender, rcpts, data, flags)).encode()
    ok, out = buzontest.run_as(uid, gid, submit)
    if not ok:
        return 0, {"error": out}
    t, f = json.loads(out)
    return t, f


def received_ids(messages):
    """Queue ids named in the Received: lines mailqueue added."""
    ids = []
    for m in messages:
        ids += re.findall(rb"\(buzon mailqueue\) id ([0-9A-Za-z]+);", m)
    return [i.decode() for i in ids]
