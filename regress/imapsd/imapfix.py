"""imapsd for the tests: authd with the pop3sd tests' users and
Maildirs (pop3fix.Site), imapsd on free ports, and imaplib clients."""

import imaplib
import os
import socket
import sys

import buzontest
from buzontest import client_tls as client_ctx

sys.path.insert(0, os.path.join(buzontest.ROOT, "regress", "pop3sd"))
import pop3fix  # noqa: E402
from pop3fix import USERS, make_cert  # noqa: E402,F401


class Site(pop3fix.Site):
    """authd + users + Maildirs + imapsd in one directory."""

    NAME = "imapsd"

    def __init__(self, workdir, cert, conf="", plaintext="127.0.0.0/8"):
        super().__init__(workdir, cert, conf, plaintext)
        self.imap = buzontest.free_port()
        self.imaps = buzontest.free_port()
        self.conf = os.path.join(workdir, "imapsd.conf")
        self.logpath = os.path.join(workdir, "imapsd.log")

    def listen_lines(self):
        return ("listen 127.0.0.1 %d imap\nlisten 127.0.0.1 %d imaps\n" %
                (self.imap, self.imaps))

    # --- clients ---

    def imaps_client(self, timeout=20):
        return imaplib.IMAP4_SSL("127.0.0.1", self.imaps, timeout=timeout,
                                 ssl_context=client_ctx())

    def imap_client(self, timeout=20):
        return imaplib.IMAP4("127.0.0.1", self.imap, timeout=timeout)

    def login(self, user="ana", tls=True):
        c = self.imaps_client() if tls else self.imap_client()
        c.login(user, USERS[user][0])
        return c

    def raw(self, tls=True):
        s = socket.create_connection(("127.0.0.1",
                                      self.imaps if tls else self.imap),
                                     timeout=20)
        if tls:
            s = client_ctx().wrap_socket(s)
        return pop3fix.Raw(s)


# --- Maildirs made by hand, as another server left them ----------------------

def chown(path, user="ana"):
    """The user's own, as the daemons running as that user need it."""
    if buzontest.IS_ROOT:
        os.chown(path, USERS[user][1], USERS[user][1])


def mkfolder(site, dirname):
    """A Maildir++ folder ".a.b" with tmp/ new/ cur/ and maildirfolder."""
    d = os.path.join(site.maildir(), dirname)
    for sub in ("", "tmp", "new", "cur"):
        os.mkdir(os.path.join(d, sub), 0o700)
        chown(os.path.join(d, sub))
    with open(os.path.join(d, "maildirfolder"), "w"):
        pass
    chown(os.path.join(d, "maildirfolder"))
    return d


def put(folder_dir, data, sub="new", info="", host="testhost", mtime=None):
    """A message delivered into new/ or cur/ through tmp/, its arrival
    time mtime when given; its path."""
    put.n += 1
    name = "%d.M%dP%d.%s,S=%d" % (1700000000 + put.n, put.n, os.getpid(),
                                  host, len(data))
    tmp = os.path.join(folder_dir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    chown(tmp)
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    dest = os.path.join(folder_dir, sub, name + (info if sub == "cur"
                                                 else ""))
    os.rename(tmp, dest)
    return dest


put.n = 0
