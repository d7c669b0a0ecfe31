"""Helpers for the integration tests: locate the build, start and stop the
daemons, pick free loopback ports, read sanitizer reports, look at /proc,
and check a program's configuration (-n) against its manual page."""

import os
import pwd
import random
import re
import signal
import socket
import ssl
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


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


# Test ports come from below the kernel's ephemeral range, so the source
# port of some outgoing connection cannot take one between the check and
# the daemon's bind; none is handed out twice in one run.
PORT_LOW = 11000
PORT_HIGH = min(_ephemeral_low(), 65536) - 1
if PORT_HIGH < PORT_LOW + 2000:     # no room below it: take what is left
    PORT_HIGH = 60999
_ports_given = set()


def claim_ports(ports):
    """True, and the ports are ours, when none was handed out before and
    each can be bound now."""
    if any(p in _ports_given or not PORT_LOW <= p <= PORT_HIGH
           for p in ports):
        return False
    for p in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return False
    _ports_given.update(ports)
    return True


def free_port():
    """A loopback port nobody listens on."""
    for _ in range(1000):
        port = random.randint(PORT_LOW, PORT_HIGH)
        if claim_ports([port]):
            return port
    raise RuntimeError("no free loopback port in %d-%d" %
                       (PORT_LOW, PORT_HIGH))


def mangle(rnd, data, noise, odds=1.0, keep=b""):
    """data, or with the chance odds and by the draw of rnd: up to three
    octets changed into octets of noise, or up to ten cut out (never a
    run holding one of keep), or up to forty of noise appended; or still
    unchanged."""
    if rnd.random() >= odds:
        return data
    b = bytearray(data)
    r = rnd.random()
    if r < 0.3 and b:
        for _ in range(rnd.randint(1, 3)):
            b[rnd.randrange(len(b))] = rnd.choice(noise)
    elif r < 0.45 and b:
        p = rnd.randrange(len(b))
        cut = b[p:p + rnd.randint(1, 10)]
        if not any(c in keep for c in cut):
            del b[p:p + len(cut)]
    elif r < 0.55:
        b += bytes(rnd.choice(noise) for _ in range(rnd.randint(1, 40)))
    return bytes(b)


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


def daemon_user():
    """The user a test daemon is told to become: nobody as root, so the
    privilege drop really happens, and ourselves otherwise."""
    if IS_ROOT:
        return "nobody"
    return pwd.getpwuid(os.geteuid()).pw_name


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


class Service:
    """What the fixtures of every daemon share: one program started in the
    foreground with its log in self.logpath, waited for until it is ready,
    and stopped with its exit status kept.  A subclass sets NAME and
    self.logpath, and calls spawn() from its start()."""

    NAME = "daemon"
    LOG_WAIT = 10
    daemon = None

    def spawn(self, argv, ready, env=None):
        """Starts argv and waits until ready() (or the program is gone);
        a program that never gets ready is stopped, not left behind."""
        self.daemon = Daemon(argv, self.logpath, env=env)
        try:
            wait_for(lambda: not self.daemon.running() or ready(), 15,
                     self.NAME + " start")
        except TimeoutError:
            self.daemon.stop()
            raise
        assert self.daemon.running(), self.log()
        return self

    @property
    def pid(self):
        return self.daemon.proc.pid

    def children(self):
        return children(self.pid)

    def log(self):
        """The log so far; empty before the program first wrote to it."""
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, text, timeout=None, count=1):
        """Waits until text stands count times in the log; the timeout
        carries the log, which says why it never came."""
        timeout = self.LOG_WAIT if timeout is None else timeout
        try:
            wait_for(lambda: self.log().count(text) >= count, timeout,
                     "log line " + text)
        except TimeoutError as e:
            raise TimeoutError("%s\n%s" % (e, self.log())) from None

    def stop_daemon(self):
        """SIGTERM; the exit status (0 for a clean exit), None when the
        program was not running."""
        if self.daemon is None:
            return None
        rc = self.daemon.stop()
        self.daemon = None
        return rc

    def stop(self):
        return self.stop_daemon()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        rc = self.stop()
        if exc[0] is None:
            assert rc == 0, "%s exited %s:\n%s" % (self.NAME, rc, self.log())


def maildir_messages(maildir):
    """Contents of every message in new/, then cur/ (each sorted by
    name): what a reader of the Maildir would find."""
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        for n in sorted(os.listdir(d)):
            with open(os.path.join(d, n), "rb") as f:
                out.append(f.read())
    return out


# --- /proc -------------------------------------------------------------------

def children(pid):
    """The child pids of pid, of all its threads (a child belongs to the
    thread that forked it); [] once pid is gone."""
    out = []
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except FileNotFoundError:
        return []
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(p) for p in f.read().split()]
        except FileNotFoundError:
            pass
    return out


def proc_uids(pid):
    """The real, effective, saved and file-system uids of pid."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    raise RuntimeError("no Uid line for %d" % pid)


def proc_uid(pid):
    return proc_uids(pid)[0]


def run_as(uid, gid, fn):
    """Runs fn() in a forked child that has become uid/gid, as a peer of
    that uid would; returns (True, the bytes fn returned) or (False, the
    repr of what it raised).  The child never returns into pytest."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rfd)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            out = b"1" + fn()
        except BaseException as e:
            out = b"0" + repr(e).encode()
        with os.fdopen(wfd, "wb") as f:
            f.write(out)
        os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as f:
        out = f.read()
    os.waitpid(pid, 0)
    return out[:1] == b"1", out[1:].decode()


# --- TLS and line clients ----------------------------------------------------

def make_cert(d, cn="localhost"):
    """A self-signed certificate and key in d, made once per directory
    (openssl takes a while)."""
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-days", "2", "-subj", "/CN=" + cn,
                        "-keyout", key, "-out", cert], check=True,
                       capture_output=True, timeout=120)
        os.chmod(key, 0o600)
    return cert, key


def client_tls():
    """A client context that takes the self-signed test certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class LineClient:
    """A client on a plain or TLS socket that sends exactly the octets it
    is given and reads CRLF lines into self.buf."""

    CLOSE_WAIT = 10

    def __init__(self, s):
        self.s = s
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def octets(self, n):
        """Exactly n octets (a literal), read in time linear in n."""
        got = bytearray(self.buf[:n])
        self.buf = self.buf[n:]
        while len(got) < n:
            chunk = self.s.recv(min(1 << 20, n - len(got)))
            assert chunk, "connection closed in a literal"
            got += chunk
        return bytes(got)

    def closed(self, timeout=None):
        """True when the server closed (after what is buffered), False
        when it is still silent after timeout seconds."""
        self.s.settimeout(self.CLOSE_WAIT if timeout is None else timeout)
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


# --- configuration check (-n) and the manual page ---------------------------

def check_config(program, workdir, text, verbose=False):
    """Writes text to a file and runs `program -n` (-nv) on it; returns the
    file's path and the finished process."""
    path = os.path.join(workdir, "check.conf")
    with open(path, "w") as f:
        f.write(text)
    argv = [binary(program), "-n", "-f", path]
    if verbose:
        argv.insert(1, "-v")
    return path, subprocess.run(argv, capture_output=True, text=True,
                                timeout=30)


def accepted_config(program, workdir, text):
    """What `program -nv` prints for text, which it must accept."""
    _, r = check_config(program, workdir, text, verbose=True)
    assert r.returncode == 0, r.stderr
    assert "configuration OK" in r.stderr
    return r.stdout


def assert_refused(program, workdir, good, line, msg, at_line=True):
    """`program -n` refuses good plus line with EX_CONFIG and msg, and
    (when at_line) names the file and that last line, so an admin can
    find it."""
    path, r = check_config(program, workdir, good + line + "\n")
    assert r.returncode == 78, r.stderr
    assert msg in r.stderr
    if at_line:
        assert "%s:%d:" % (path, good.count("\n") + 1) in r.stderr


def printed_keywords(program, workdir, text, skip=()):
    """The keywords of the lines `program -nv` prints for text (a default
    printed as a comment counts too); lines starting with skip are notes,
    not keywords."""
    return {re.match(r"(?:# )?([a-z_]+)", line).group(1)
            for line in accepted_config(program, workdir, text).splitlines()
            if not (skip and line.startswith(skip))}


def assert_documented(printed, manpage, at_least, exact=False):
    """Every printed keyword has its .It Ic entry in manpage (and, when
    exact, every entry is a keyword); at_least guards against a parse of
    the output that found next to nothing."""
    with open(manpage) as f:
        documented = set(re.findall(r"^\.It Ic ([a-z_]+)", f.read(), re.M))
    assert len(printed) >= at_least, printed
    assert printed <= documented, printed - documented
    if exact:
        assert documented <= printed, documented - printed
