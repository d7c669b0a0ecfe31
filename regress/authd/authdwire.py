"""The authd wire protocol in Python (see authd(8)), password hashes for
fixtures, and a started authd with its configuration and passwd file."""

import os
import threading
import grp
import signal
import subprocess
import time

import buzontest
import wire

VERSION = 1
AUTH, LOOKUP, OK, FAIL, TEMPFAIL, ERROR = 1, 2, 0x81, 0x82, 0x83, 0x84
TAGS = {"service": 1, "user": 2, "password": 3, "addr": 4, "uid": 5,
        "gid": 6, "home": 7, "maildir": 8, "quota": 9, "reason": 10,
        "fullname": 11, "delivery": 12}
# The fields of an OK answer (the user record), each always sent.
RECORD = ("user", "uid", "gid", "home", "maildir", "quota", "fullname",
          "delivery")
FRAME_MAX = 4096
LAYOUT = wire.Layout(">BBH", TAGS, ("uid", "gid"), ">I", VERSION)
field, frame, decode = LAYOUT.field, LAYOUT.frame, LAYOUT.decode


def auth_frame(user, password, service="imap", addr="192.0.2.1"):
    return frame(AUTH, field("service", service) + field("user", user) +
                 field("password", password) + field("addr", addr))


def lookup_frame(user):
    return frame(LOOKUP, field("user", user))


class Conn(wire.Conn):
    """One client connection speaking authd's frames."""

    LAYOUT = LAYOUT

    def auth(self, user, password, service="imap", addr="192.0.2.1"):
        return self.request(auth_frame(user, password, service, addr))

    def lookup(self, user):
        return self.request(lookup_frame(user))


_hashes = {}


def mkhash(password, scheme="bcrypt", cost=None):
    """A crypt(3) hash made by mkpasswd(1) (Debian package whois)."""
    if cost is None:
        cost = {"bcrypt": 4, "sha512crypt": 1000, "yescrypt": 1}[scheme]
    key = (password, scheme, cost)
    if key not in _hashes:
        r = subprocess.run(["mkpasswd", "-m", scheme, "-R", str(cost),
                            "--stdin"], input=password, text=True,
                           capture_output=True, check=True)
        _hashes[key] = r.stdout.strip()
    return _hashes[key]


def passwd_line(user, hashed, uid=2000, gid=2000, home=None, maildir="",
                quota=""):
    home = home or "/home/" + user
    return "%s:%s:%d:%d:%s:%s:%s\n" % (user, hashed, uid, gid, home,
                                       maildir, quota)


def own_group():
    return grp.getgrgid(os.getegid()).gr_name


class Authd(buzontest.Service):
    """authd started in the foreground on a socket in workdir.  As root it
    is told to become nobody, so the privilege drop really happens."""

    NAME = "authd"

    def __init__(self, workdir, lines=(), conf="", backends=None,
                 user=None):
        self.dir = workdir
        self.sock = os.path.join(workdir, "authd.sock")
        self.passwd = os.path.join(workdir, "passwd")
        self.conf = os.path.join(workdir, "authd.conf")
        self.logpath = os.path.join(workdir, "authd.log")
        self.write_passwd(lines)
        if user is None:
            user = buzontest.daemon_user()
        if backends is None:
            backends = ["file " + self.passwd]
        text = ("socket %s\nsocket_group \"\"\nuser %s\n" %
                (self.sock, user))
        text += "".join("backend %s\n" % b for b in backends)
        text += conf
        with open(self.conf, "w") as f:
            f.write(text)

    def write_passwd(self, lines):
        tmp = self.passwd + ".tmp"
        with open(tmp, "w") as f:
            f.write("# test users\n" + "".join(lines))
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.passwd)

    def start(self):
        return self.spawn(
            [buzontest.binary("authd"), "-d", "-v", "-f", self.conf],
            buzontest.unix_ready(self.sock))

    def workers(self):
        return self.children()

    def connect(self, timeout=None):
        return Conn(self.sock, timeout)


def kill_quietly(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def timed(fn, *args):
    t = time.monotonic()
    r = fn(*args)
    return r, time.monotonic() - t


def hammer(a, clients, per_client, join_timeout):
    """clients connections of authd a, each making per_client auths of
    users u00.. (uid 3000 + n, password "pw" + n), right and wrong
    passwords mixed.  Returns the wrong answers (or exceptions) and the
    number of auths made."""
    errors, counts = [], [0] * clients

    def client(n):
        try:
            c = a.connect(timeout=60)
            for k in range(per_client[n] if isinstance(per_client, list)
                           else per_client):
                u = "u%02d" % ((n + k) % clients)
                good = (k * 7 + n) % 3 != 0
                pw = "pw" + u[1:] + ("" if good else "x")
                t, f = c.auth(u, pw, addr="")
                if t != (OK if good else FAIL) or \
                        (good and f["uid"] != 3000 + int(u[1:])):
                    errors.append((u, good, t, f))
                counts[n] += 1
            c.close()
        except Exception as e:      # reported by the caller
            errors.append(repr(e))
    threads = [threading.Thread(target=client, args=(n,))
               for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(join_timeout)
    return errors, sum(counts)
