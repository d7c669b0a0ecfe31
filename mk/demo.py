#!/usr/bin/env python3
"""make demo: the whole suite in one directory on loopback ports.

    demo.py BUILDDIR start     set up $DEMO_DIR, start every daemon, send a
                               welcome message over submission and read it
                               back over POP3S and IMAPS; then stay until
                               Ctrl-C
    demo.py BUILDDIR stop      stop what a detached demo left running

Environment: DEMO_DIR (./demo), DEMO_PORT (10000; SMTP +25, SMTPS +465,
submission +587, POP3 +110, POP3S +995, IMAP +143, IMAPS +993),
DEMO_USERS (extra users
demo1..demoN), DEMO_DETACH=1 (return once everything listens),
DEMO_ONESHOT=1 (stop right after the welcome message was read: the test
suite runs the demo so).

Run by root, every daemon drops to its own system user, created here when
missing as docs/install.md says; run by anyone else, everything runs under
that user.
"""

import imaplib
import os
import poplib
import pwd
import secrets
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IS_ROOT = os.geteuid() == 0
DAEMONS = ("authd", "mailqueue", "smtpd-lite", "pop3sd", "imapsd")
# System users as docs/install.md creates them; _vmail owns virtual mail.
SYSTEM_USERS = ("_authd", "_mailq", "_smtplite", "_pop3sd", "_imapsd",
                "_vmail")
PORTS = {"smtp": 25, "smtps": 465, "submission": 587, "pop3": 110,
         "pop3s": 995, "imap": 143, "imaps": 993}


def say(*args):
    print("demo:", *args, flush=True)


class Demo:
    def __init__(self, builddir):
        self.bin = os.path.abspath(builddir)
        self.dir = os.path.abspath(os.environ.get("DEMO_DIR") or "demo")
        base = int(os.environ.get("DEMO_PORT") or 10000)
        self.port = {k: base + v for k, v in PORTS.items()}
        self.nusers = int(os.environ.get("DEMO_USERS") or 0)
        self.procs = {}

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    # --- setting up ---------------------------------------------------

    def users(self):
        return ["demo"] + ["demo%d" % i for i in range(1, self.nusers + 1)]

    def sysuser(self, name):
        """The user a daemon becomes: its own when root, else ours."""
        if IS_ROOT:
            return name
        return pwd.getpwuid(os.geteuid()).pw_name

    def create_system_users(self):
        for name in SYSTEM_USERS:
            try:
                pwd.getpwnam(name)
                continue
            except KeyError:
                pass
            say("creating system user", name)
            subprocess.run(["groupadd", "--system", "-f", name], check=True)
            subprocess.run(["useradd", "--system", "-s",
                            "/usr/sbin/nologin", "-d", "/nonexistent",
                            "-g", name, name], check=True)

    def mail_ids(self):
        pw = pwd.getpwnam("_vmail") if IS_ROOT else pwd.getpwuid(
            os.geteuid())
        return pw.pw_uid, pw.pw_gid

    def check_reachable(self):
        """As root the daemons' users must reach the demo and the build."""
        for top in (self.dir, self.bin):
            d = top
            while d != "/":
                d = os.path.dirname(d)
                if os.path.isdir(d) and os.stat(d).st_mode & 0o001 == 0:
                    raise SystemExit(
                        "demo: %s is not searchable by other users, so the "
                        "daemons' own users cannot reach %s; run from "
                        "another place or set DEMO_DIR (e.g. "
                        "DEMO_DIR=/var/tmp/buzon-demo)" % (d, top))

    def setup(self):
        if IS_ROOT:
            self.check_reachable()
            self.create_system_users()
        for d in ("etc", "run", "log", "mail"):
            os.makedirs(self.path(d), exist_ok=True)
        os.chmod(self.dir, 0o755)
        os.chmod(self.path("run"), 0o755)
        os.chmod(self.path("mail"), 0o755)
        # The chroot of the pre-auth processes: empty, writable by root only.
        os.makedirs(self.path("empty"), exist_ok=True)
        os.chmod(self.path("empty"), 0o755)
        self.password = self.make_password()
        self.make_cert()
        self.make_maildirs()
        self.write_passwd()
        self.make_queue()
        self.write_configs()

    def make_password(self):
        p = self.path("password")
        if not os.path.exists(p):
            with open(p + ".tmp", "w") as f:
                f.write(secrets.token_urlsafe(12) + "\n")
            os.chmod(p + ".tmp", 0o600)
            os.rename(p + ".tmp", p)
        with open(p) as f:
            return f.read().strip()

    def make_cert(self):
        cert, key = self.path("etc", "cert.pem"), self.path("etc", "key.pem")
        if os.path.exists(cert) and os.path.exists(key):
            return
        say("making a self-signed certificate for localhost")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-days", "365", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,"
                        "IP:127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        os.chmod(key, 0o600)

    def make_maildirs(self):
        uid, gid = self.mail_ids()
        for u in self.users():
            home = self.path("mail", u)
            if os.path.isdir(os.path.join(home, "Maildir")):
                continue
            os.makedirs(home, exist_ok=True)
            subprocess.run([os.path.join(self.bin, "maildirmake"),
                            os.path.join(home, "Maildir")], check=True)
            for dirpath, dirs, files in os.walk(home):
                os.chown(dirpath, uid, gid)
            os.chmod(home, 0o700)

    def write_passwd(self):
        uid, gid = self.mail_ids()
        p = self.path("etc", "passwd")
        if os.path.exists(p):
            with open(p) as f:
                have = {line.split(":")[0] for line in f if ":" in line}
            if set(self.users()) <= have:
                return
        h = subprocess.run(["mkpasswd", "-m", "bcrypt", "-R", "10",
                            "--stdin"], input=self.password, text=True,
                           capture_output=True, check=True).stdout.strip()
        with open(p + ".tmp", "w") as f:
            f.write("# demo users: name:hash:uid:gid:home:maildir:quota\n")
            for u in self.users():
                home = self.path("mail", u)
                f.write("%s:%s:%d:%d:%s:%s/Maildir:\n" %
                        (u, h, uid, gid, home, home))
        os.chmod(p + ".tmp", 0o644)
        os.rename(p + ".tmp", p)

    def make_queue(self):
        q = self.path("queue")
        os.makedirs(q, exist_ok=True)
        if IS_ROOT:
            pw = pwd.getpwnam("_mailq")
            os.chown(q, pw.pw_uid, pw.pw_gid)
        os.chmod(q, 0o700)

    def write_configs(self):
        run, etc = self.path("run"), self.path("etc")
        common = {"authd_sock": os.path.join(run, "authd.sock"),
                  "queue_sock": os.path.join(run, "queue.sock"),
                  "cert": os.path.join(etc, "cert.pem"),
                  "key": os.path.join(etc, "key.pem"),
                  "empty": self.path("empty")}
        with open(os.path.join(etc, "local-host-names"), "w") as f:
            f.write("localhost\n")
        confs = {
            "authd": [
                "socket %(authd_sock)s", 'socket_group ""',
                "user " + self.sysuser("_authd"),
                "backend file " + os.path.join(etc, "passwd")],
            "mailqueue": [
                "queue_dir " + self.path("queue"),
                "socket %(queue_sock)s",
                "user " + self.sysuser("_mailq"),
                "authd_socket %(authd_sock)s",
                "maildeliver " + os.path.join(self.bin, "maildeliver"),
                "local_domains " + os.path.join(etc, "local-host-names"),
                "trusted_users " + self.sysuser("_smtplite"),
                "hostname localhost"],
            "smtpd-lite": [
                "listen 127.0.0.1 %d smtp" % self.port["smtp"],
                "listen 127.0.0.1 %d smtps" % self.port["smtps"],
                "listen 127.0.0.1 %d submission" % self.port["submission"],
                "hostname localhost",
                "user " + self.sysuser("_smtplite"),
                "chroot %(empty)s",
                "authd_socket %(authd_sock)s",
                "queue_socket %(queue_sock)s",
                "local_domains " + os.path.join(etc, "local-host-names"),
                "tls_cert %(cert)s", "tls_key %(key)s",
                # Every client of the demo (and of the tests and the
                # bench) comes from 127.0.0.1.
                "max_sessions 1000", "max_sessions_per_addr 200"],
            "pop3sd": [
                "listen 127.0.0.1 %d pop3" % self.port["pop3"],
                "listen 127.0.0.1 %d pop3s" % self.port["pop3s"],
                "user " + self.sysuser("_pop3sd"),
                "chroot %(empty)s",
                "authd_socket %(authd_sock)s",
                "tls_cert %(cert)s", "tls_key %(key)s"],
            "imapsd": [
                "listen 127.0.0.1 %d imap" % self.port["imap"],
                "listen 127.0.0.1 %d imaps" % self.port["imaps"],
                "user " + self.sysuser("_imapsd"),
                "chroot %(empty)s",
                "authd_socket %(authd_sock)s",
                "tls_cert %(cert)s", "tls_key %(key)s",
                "max_sessions_per_addr 200"],
        }
        for name, lines in confs.items():
            with open(os.path.join(etc, name + ".conf"), "w") as f:
                f.write("# written by make demo\n")
                f.write("".join(line % common + "\n" for line in lines))

    # --- running ------------------------------------------------------

    def start(self, detach):
        for name in DAEMONS:
            self.start_one(name, detach)

    def start_one(self, name, detach=False):
        argv = [os.path.join(self.bin, name), "-d", "-f",
                self.path("etc", name + ".conf")]
        chk = subprocess.run(argv[:1] + ["-n"] + argv[2:],
                             capture_output=True, text=True)
        if chk.returncode != 0:
            raise SystemExit("demo: %s refuses its config:\n%s" %
                             (name, chk.stderr))
        log = open(self.path("log", name + ".log"), "ab")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=log, start_new_session=detach)
        log.close()
        self.procs[name] = p
        with open(self.path("run", name + ".pid"), "w") as f:
            f.write("%d\n" % p.pid)
        self.wait_up(name)

    def wait_up(self, name):
        if name == "authd":
            probes = [("unix", self.path("run", "authd.sock"))]
        elif name == "mailqueue":
            probes = [("unix", self.path("run", "queue.sock"))]
        else:
            keys = {"smtpd-lite": ("smtp", "smtps", "submission"),
                    "pop3sd": ("pop3", "pop3s"),
                    "imapsd": ("imap", "imaps")}[name]
            probes = [("tcp", self.port[k]) for k in keys]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise SystemExit("demo: %s exited; see %s" %
                                 (name, self.path("log", name + ".log")))
            if all(self.probe(kind, where) for kind, where in probes):
                say("%-10s up" % name)
                return
            time.sleep(0.05)
        raise SystemExit("demo: %s did not come up; see %s" %
                         (name, self.path("log", name + ".log")))

    @staticmethod
    def probe(kind, where):
        fam = socket.AF_UNIX if kind == "unix" else socket.AF_INET
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            try:
                s.connect(where if kind == "unix" else ("127.0.0.1", where))
                return True
            except OSError:
                return False

    def tls(self):
        ctx = ssl.create_default_context(cafile=self.path("etc", "cert.pem"))
        return ctx

    def send_welcome(self):
        msg = ("From: buzon demo <demo@localhost>\r\n"
               "To: demo@localhost\r\n"
               "Subject: Welcome to buzon\r\n"
               "Date: %s\r\n"
               "Message-ID: <%s.demo@localhost>\r\n\r\n"
               "This message went in over submission (STARTTLS + AUTH),\r\n"
               "through smtpd-lite, mailqueue and maildeliver into\r\n"
               "%s,\r\n"
               "and came back out over POP3S and IMAPS.\r\n" %
               (time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
                secrets.token_hex(8), self.path("mail", "demo", "Maildir")))
        with smtplib.SMTP("localhost", self.port["submission"],
                          timeout=30) as s:
            s.starttls(context=self.tls())
            s.login("demo", self.password)
            s.sendmail("demo@localhost", ["demo@localhost"], msg)
        say("sent a welcome message over submission (port %d, STARTTLS, "
            "AUTH)" % self.port["submission"])
        return msg

    def count_new(self):
        md = self.path("mail", "demo", "Maildir")
        return sum(len(os.listdir(os.path.join(md, d)))
                   for d in ("new", "cur"))

    def show_pop3s(self):
        p = poplib.POP3_SSL("localhost", self.port["pop3s"],
                            context=self.tls(), timeout=30)
        try:
            p.user("demo")
            p.pass_(self.password)
            n, size = p.stat()
            say("POP3S (port %d): %d message(s), %d octets" %
                (self.port["pop3s"], n, size))
            lines = p.retr(n)[1]
            print("-" * 72)
            for line in lines:
                print(line.decode("utf-8", "replace"))
            print("-" * 72)
            return b"\n".join(lines)
        finally:
            p.quit()

    def show_imaps(self):
        c = imaplib.IMAP4_SSL("localhost", self.port["imaps"],
                              ssl_context=self.tls(), timeout=30)
        try:
            c.login("demo", self.password)
            typ, data = c.select("INBOX", readonly=True)
            n = int(data[0])
            typ, data = c.fetch(str(n), "(UID RFC822.SIZE BODY.PEEK[HEADER."
                                "FIELDS (FROM SUBJECT)])")
            say("IMAPS (port %d): %d message(s) in INBOX; the last one:" %
                (self.port["imaps"], n))
            head = data[0][1].decode("utf-8", "replace").strip()
            for line in head.splitlines():
                print("    " + line)
            return head
        finally:
            c.logout()

    def instructions(self):
        print("""
The suite is running on 127.0.0.1 (logs in %(log)s):
  SMTP %(smtp)d   SMTPS %(smtps)d   submission %(submission)d
  POP3 %(pop3)d (STLS)   POP3S %(pop3s)d   IMAP %(imap)d (STARTTLS)   IMAPS %(imaps)d
User demo, password %(pw)s (also in %(pwfile)s)%(more)s.
The certificate is self-signed: %(cert)s

  mutt:  mutt -f imaps://demo@localhost:%(imaps)d/ \\
           -e 'set smtp_url=smtp://demo@localhost:%(submission)d ssl_starttls=yes'
  Thunderbird: incoming IMAP, localhost, port %(imaps)d, SSL/TLS, normal
           password (or POP3, port %(pop3s)d); outgoing SMTP, localhost,
           port %(submission)d, STARTTLS; accept the certificate exception.
""" % dict(self.port, log=self.path("log"), pw=self.password,
           pwfile=self.path("password"), cert=self.path("etc", "cert.pem"),
           more=(" (and demo1..demo%d)" % self.nusers) if self.nusers else ""),
              flush=True)

    def stop_all(self):
        if not self.procs:
            return
        for name in reversed(DAEMONS):
            p = self.procs.get(name)
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in self.procs.items():
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            pidfile = self.path("run", name + ".pid")
            if os.path.exists(pidfile):
                os.unlink(pidfile)
        say("stopped")

    def run(self):
        detach = bool(os.environ.get("DEMO_DETACH"))
        oneshot = bool(os.environ.get("DEMO_ONESHOT"))
        say("directory", self.dir)
        self.stop_detached(quiet=True)
        self.setup()
        try:
            self.start(detach)
            before = self.count_new()
            self.send_welcome()
            deadline = time.monotonic() + 30
            while self.count_new() <= before:
                if time.monotonic() > deadline:
                    raise SystemExit("demo: the welcome message did not "
                                     "arrive; see " + self.path("log"))
                time.sleep(0.05)
            say("delivered into", self.path("mail", "demo", "Maildir"))
            self.show_pop3s()
            self.show_imaps()
            self.instructions()
            if oneshot:
                return
            if detach:
                say("left running; stop it with: make demo-stop")
                self.procs = {}
                return
            say("press Ctrl-C to stop")
            signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
            while all(p.poll() is None for p in self.procs.values()):
                time.sleep(0.5)
            say("a daemon exited; see", self.path("log"))
        except KeyboardInterrupt:
            pass
        finally:
            self.stop_all()

    def stop_detached(self, quiet=False):
        """Stops daemons a detached demo left, by their pid files."""
        stopped = []
        for name in reversed(DAEMONS):
            pidfile = self.path("run", name + ".pid")
            try:
                with open(pidfile) as f:
                    pid = int(f.read())
            except (OSError, ValueError):
                continue
            if self.is_ours(pid, name):
                os.kill(pid, signal.SIGTERM)
                stopped.append(pid)
            os.unlink(pidfile)
        deadline = time.monotonic() + 15
        for pid in stopped:
            while os.path.exists("/proc/%d" % pid) and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
        if stopped or not quiet:
            say("stopped %d daemon(s)" % len(stopped))

    def is_ours(self, pid, name):
        """The pid still runs our binary of that name."""
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv0 = f.read().split(b"\0")[0].decode()
        except OSError:
            r = subprocess.run(["ps", "-o", "comm=", "-p", str(pid)],
                               capture_output=True, text=True)
            argv0 = r.stdout.strip()
        return os.path.basename(argv0) == name


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("start", "stop"):
        sys.exit("usage: demo.py builddir start|stop")
    demo = Demo(sys.argv[1])
    if sys.argv[2] == "stop":
        demo.stop_detached()
    else:
        demo.run()


if __name__ == "__main__":
    main()
