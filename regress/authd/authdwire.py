"""The authd wire protocol in Python (see authd(8)), password hashes for
fixtures, and a started authd with its configuration and passwd file."""

import os
import pwd
import grp
import signal
import socket
import struct
import subprocess
import time

import buzontest

VERSION = 1
AUTH, LOOKUP, OK, FAIL, TEMPFAIL, ERROR = 1, 2, 0x81, 0x82, 0x83, 0x84
TAGS = {"service": 1, "user": 2, "password": 3, "addr": 4, "uid": 5,
        "gid": 6, "home": 7, "maildir": 8, "quota": 9, "reason": 10}
NAMES = {v: k for k, v in TAGS.items()}
FRAME_MAX = 4096


def field(name, value):
    tag = TAGS[name] if isinstance(name, str) else name
    if isinstance(value, int):
        value = struct.pack(">I", value)
    elif isinstance(value, str):
        value = value.encode()
    return struct.pack(">BH", tag, len(value)) + value


def frame(mtype, payload, version=VERSION, length=None):
    n = len(payload) if length is None else length
    return struct.pack(">BBH", version, mtype, n) + payload


def auth_frame(user, password, service="imap", addr="192.0.2.1"):
    return frame(AUTH, field("service", service) + field("user", user) +
                 field("password", password) + field("addr", addr))


def lookup_frame(user):
    return frame(LOOKUP, field("user", user))


def decode(payload):
    out, off = {}, 0
    while off < len(payload):
        tag, n = struct.unpack(">BH", payload[off:off + 3])
        v = payload[off + 3:off + 3 + n]
        name = NAMES[tag]
        out[name] = (struct.unpack(">I", v)[0] if name in ("uid", "gid")
                     else v.decode())
        off += 3 + n
    return out


class Conn:
    """One client connection speaking frames."""

    def __init__(self, path, timeout=20.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)

    def close(self):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def recv_frame(self):
        """(type, fields), or None at EOF."""
        hdr = self._read(4)
        if hdr is None:
            return None
        version, mtype, n = struct.unpack(">BBH", hdr)
        assert version == VERSION
        payload = self._read(n)
        assert payload is not None, "answer cut short"
        return mtype, decode(payload)

    def at_eof(self):
        try:
            return self.s.recv(1) == b""
        except ConnectionResetError:
            return True

    def request(self, data):
        self.send(data)
        return self.recv_frame()

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


class Authd:
    """authd started in the foreground on a socket in workdir.  As root it
    is told to become nobody, so the privilege drop really happens."""

    def __init__(self, workdir, lines=(), conf="", backends=None,
                 user=None):
        self.dir = workdir
        self.sock = os.path.join(workdir, "authd.sock")
        self.passwd = os.path.join(workdir, "passwd")
        self.conf = os.path.join(workdir, "authd.conf")
        self.logpath = os.path.join(workdir, "authd.log")
        self.write_passwd(lines)
        if user is None:
            user = ("nobody" if buzontest.IS_ROOT
                    else pwd.getpwuid(os.geteuid()).pw_name)
        if backends is None:
            backends = ["file " + self.passwd]
        text = ("socket %s\nsocket_group \"\"\nuser %s\n" %
                (self.sock, user))
        text += "".join("backend %s\n" % b for b in backends)
        text += conf
        with open(self.conf, "w") as f:
            f.write(text)
        self.daemon = None

    def write_passwd(self, lines):
        tmp = self.passwd + ".tmp"
        with open(tmp, "w") as f:
            f.write("# test users\n" + "".join(lines))
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.passwd)

    def start(self):
        self.daemon = buzontest.Daemon(
            [buzontest.binary("authd"), "-d", "-v", "-f", self.conf],
            self.logpath)
        try:
            buzontest.wait_for(
                lambda: (not self.daemon.running()) or
                buzontest.unix_ready(self.sock)(), 15, "authd socket")
        except TimeoutError:
            self.daemon.stop()
            raise
        assert self.daemon.running(), self.log()
        return self

    @property
    def pid(self):
        return self.daemon.proc.pid

    def workers(self):
        with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
            return [int(p) for p in f.read().split()]

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def wait_log(self, text, timeout=10):
        buzontest.wait_for(lambda: text in self.log(), timeout,
                           "log line " + text)

    def connect(self, timeout=20.0):
        return Conn(self.sock, timeout)

    def stop(self):
        """SIGTERM; returns the exit status (0 for a clean exit)."""
        if self.daemon is None:
            return None
        rc = self.daemon.stop()
        self.daemon = None
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        rc = self.stop()
        if exc[0] is None:
            assert rc == 0, "authd exited %s:\n%s" % (rc, self.log())


def proc_uids(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    return None


def kill_quietly(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def timed(fn, *args):
    t = time.monotonic()
    r = fn(*args)
    return r, time.monotonic() - t
