"""Real mail clients from Debian packages (mbsync, fetchmail, curl, mutt)
for the imapsd and pop3sd tests: a certificate they can verify, finding
each program (a test skips without it), and fetchmail, which both
daemons' tests run."""

import os
import re
import shutil
import subprocess

import pytest

# The name the clients connect to: it is in the certificate, which they
# check, and it resolves to 127.0.0.1, where the daemons listen (a client
# that tries ::1 first falls back to it).
HOST = "localhost"
CLIENT_TIMEOUT = 120	# seconds for one client run on a busy machine

PACKAGES = {"mbsync": "isync", "fetchmail": "fetchmail", "curl": "curl",
            "mutt": "mutt"}


def need(program):
    """The program's path; the test skips when it is not installed."""
    path = shutil.which(program)
    if path is None:
        pytest.skip("%s is not installed (Debian package %s, which "
                    "mk/deps installs)" % (program, PACKAGES[program]))
    return path


def make_cert(d):
    """A self-signed certificate the clients verify as their CA: unlike
    the Python tests' one it names the host, as DNS:localhost and
    IP:127.0.0.1, so no client needs its checks turned off."""
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-days", "2", "-subj", "/CN=" + HOST,
                        "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True,
                       capture_output=True, timeout=120)
        os.chmod(key, 0o600)
    return cert, key


def lf(msg):
    """A message as a client stores it locally: LF line ends."""
    return msg.replace(b"\r\n", b"\n")


def crlf(msg):
    """A message as IMAP and POP3 send it: CR LF line ends."""
    return lf(msg).replace(b"\n", b"\r\n")


# --- fetchmail ---------------------------------------------------------------

# fetchmail's exit status (fetchmail(1), EXIT CODES).
FETCHMAIL_GOT_MAIL = 0
FETCHMAIL_NO_MAIL = 1

# The MDA: each message, as fetchmail hands it over, into a file of its
# own (fetchmail runs it through sh once per message).
MDA = '#!/bin/sh\nexec cat > "$(mktemp "%s/msg.XXXXXXXX")"\n'

FETCHMAILRC = """set no syslog
poll %(host)s service %(port)d proto %(proto)s%(uidl)s
  user "%(user)s" password "%(pw)s" is "%(user)s" here
  %(tls)s sslcertck sslcertfile "%(cert)s"
  %(keep)s%(idle)s
  mda "%(mda)s"
"""


class Fetchmail:
    """fetchmail with its own home, run control file, id file and an MDA
    that keeps every message it is given, unchanged, in out/."""

    def __init__(self, workdir, cert, proto, port, user, password,
                 keep=True, uidl=False, idle=False, starttls=False):
        self.home = os.path.join(workdir, "fetchmail")
        self.out = os.path.join(self.home, "out")
        os.makedirs(self.out)
        os.chmod(self.home, 0o700)
        self.ids = os.path.join(self.home, "ids")
        mda = os.path.join(self.home, "mda")
        with open(mda, "w") as f:
            f.write(MDA % self.out)
        os.chmod(mda, 0o755)
        self.rc = os.path.join(self.home, "fetchmailrc")
        with open(self.rc, "w") as f:
            f.write(FETCHMAILRC % {
                "host": HOST, "port": port, "proto": proto,
                "uidl": " uidl" if uidl else "", "user": user,
                "pw": password, "cert": cert, "mda": mda,
                # an sslproto without ssl makes STARTTLS (STLS) mandatory
                "tls": 'sslproto "tls1.2+"' if starttls else "ssl",
                "keep": "keep" if keep else "no keep",
                "idle": " idle" if idle else ""})
        os.chmod(self.rc, 0o600)

    def argv(self):
        # --invisible: no Received: line; --norewrite: headers as sent.
        # Both keep what the MDA gets byte for byte what the server had.
        return ["fetchmail", "-v", "-f", self.rc, "--idfile", self.ids,
                "--pidfile", os.path.join(self.home, "pid"), "--invisible",
                "--norewrite"]

    def env(self):
        return {"PATH": "/usr/bin:/bin", "HOME": self.home,
                "FETCHMAILHOME": self.home}

    def run(self):
        """One poll: its exit status, and what it delivered (sorted) and
        took out of out/; a failure carries fetchmail's words."""
        r = subprocess.run(self.argv(), env=self.env(), capture_output=True,
                           timeout=CLIENT_TIMEOUT)
        self.log = r.stdout.decode(errors="replace") + \
            r.stderr.decode(errors="replace")
        assert r.returncode in (FETCHMAIL_GOT_MAIL, FETCHMAIL_NO_MAIL), \
            self.log
        return r.returncode, self.delivered()

    def delivered(self):
        """What the MDA was given since the last call, sorted."""
        got = []
        for n in os.listdir(self.out):
            path = os.path.join(self.out, n)
            with open(path, "rb") as f:
                got.append(f.read())
            os.unlink(path)
        return sorted(got)

    def start(self):
        """fetchmail kept in the foreground (-N), as with idle it stays
        logged in and fetches what the server announces; its log goes
        to a file, read by stop()."""
        self.logpath = os.path.join(self.home, "log")
        with open(self.logpath, "wb") as f:
            self.proc = subprocess.Popen(self.argv() + ["-N"], env=self.env(),
                                         stdin=subprocess.DEVNULL,
                                         stdout=f, stderr=subprocess.STDOUT)

    def running_log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def stop(self):
        """Ends the fetchmail start() began; its log is in self.log."""
        self.proc.terminate()
        try:
            self.proc.wait(CLIENT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log = self.running_log()

    def commands(self):
        """The protocol commands of the last run, as fetchmail -v logs
        them ("IMAP> A0005 FETCH 1 RFC822.HEADER", "POP3> RETR 1")."""
        return re.findall(r"^fetchmail: (?:IMAP|POP3)> (.*)$", self.log,
                          re.M)
