"""Real IMAP clients against imapsd (issue #4: a user's mbsync, mutt or
webmail works on the Maildir as it did under courier-imap or Dovecot,
without downloading it again): mbsync (isync), fetchmail, curl and mutt
from Debian, each over IMAPS (or STARTTLS) checking the test
certificate, and what lands on disk on both sides.  A test skips when
its client is not installed; mk/deps installs them."""

import os
import pty
import re
import select
import shutil
import signal
import subprocess
import time

import pytest

import buzontest
import clientfix
from clientfix import HOST, crlf, lf, need
import imapfix
from imapfix import USERS, Site, mkfolder

PASSWORD = USERS["ana"][0]

# Messages as a delivery agent leaves them (LF line ends): plain,
# dot-leading lines and a "From " line, 8-bit UTF-8, and one larger than
# any single read or literal buffer.
MSGS = [
    b"From: bob@example.com\nTo: ana@example.org\nSubject: plain\n"
    b"Date: Mon, 2 Jan 2023 10:00:00 +0000\nMessage-ID: <1@example.com>\n"
    b"\nhello\n",
    b"From: bob@example.com\nSubject: dots\n\n.leading dot\n..two dots\n"
    b".\nFrom the start of a line\n",
    "From: bob@example.com\nSubject: =?UTF-8?Q?caf=C3=A9?=\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n\n8-bit: café, 日本語\n".encode(),
    b"From: bob@example.com\nSubject: big\n\n" +
    b"".join(b"line %06d %s\n" % (i, b"x" * 64) for i in range(6000)),
]
SENT = b"From: ana@example.org\nTo: bob@example.com\nSubject: sent\n\nbye\n"
DEEP = "From: ana@example.org\nSubject: deep\n\nété\n".encode()
DRAFT = "From: ana@example.org\nSubject: Entwurf\n\nfür\n".encode()

# Folders on disk as the old server left them: a.bété in modified UTF-7
# without its parent (Dovecot, courier-imap before 5), Entwürfe in UTF-8
# (courier-imap 5 after maildirmake --convutf8).
DEEP_DIR = ".a.b&AOk-t&AOk-"
DRAFT_DIR = ".Entwürfe"
# The folder names mbsync 1.4 sees (modified UTF-7) and makes locally.
NEAR_BOXES = ["Entw&APw-rfe", "INBOX", "Sent", "a/b&AOk-t&AOk-"]


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """The certificate, naming the host: the clients check it."""
    return clientfix.make_cert(str(tmp_path_factory.mktemp("cert")))


# --- the server's Maildir ----------------------------------------------------

def put(folder_dir, data, sub="new", info=""):
    """A message as another server left it, arriving an hour after the
    one before, long ago (its INTERNALDATE); its base name."""
    path = imapfix.put(folder_dir, data, sub, info, host="oldhost",
                       mtime=1600000000 + (imapfix.put.n + 1) * 3600)
    return os.path.basename(path).split(":2,")[0]


def fill(site):
    """INBOX (one message seen already), Sent, a.bété and Entwürfe."""
    md = site.maildir()
    for i, m in enumerate(MSGS):
        if i == 1:
            put(md, m, "cur", ":2,S")
        else:
            put(md, m)
    put(mkfolder(site, ".Sent"), SENT, "cur", ":2,S")
    put(mkfolder(site, DEEP_DIR), DEEP)
    put(mkfolder(site, DRAFT_DIR), DRAFT)


def server_msgs(folder_dir):
    """{uid: file path} of a folder, UIDs from its buzon-uidlist."""
    with open(os.path.join(folder_dir, "buzon-uidlist")) as f:
        lines = f.read().splitlines()
    by_name = {}
    for line in lines[1:]:
        w = line.split()
        by_name[w[1]] = int(w[0])
    out = {}
    for sub in ("new", "cur"):
        for n in os.listdir(os.path.join(folder_dir, sub)):
            out[by_name[n.split(":")[0]]] = os.path.join(folder_dir, sub, n)
    return out


def flags(path):
    """The Maildir flag letters of a file name ("" when it has none)."""
    name = os.path.basename(path)
    return name.split(":2,", 1)[1] if ":2," in name else ""


def content(path):
    with open(path, "rb") as f:
        return f.read()


def files(d):
    """Every file under d, by relative path, with its contents."""
    out = {}
    for root, _, names in os.walk(d):
        for n in names:
            p = os.path.join(root, n)
            if "buzon-" not in n:	# imapsd's lock files and cache
                out[os.path.relpath(p, d)] = content(p)
    return out


# --- mbsync ------------------------------------------------------------------

MBSYNCRC = """IMAPAccount buzon
Host %(host)s
Port %(port)d
User ana
Pass %(pw)s
SSLType %(ssltype)s
CertificateFile %(cert)s

IMAPStore far
Account buzon

MaildirStore near
Path %(near)s/
Inbox %(near)s/INBOX
SubFolders Verbatim

Channel buzon
Far :far:
Near :near:
Patterns *
Create Both
Expunge Both
SyncState *
CopyArrivalDate yes
"""

# A command of the sync that moves a message or changes one.
TRANSFER = re.compile(r"BODY\.PEEK\[\]|BODY\[\]|APPEND|STORE|EXPUNGE|"
                      r"CREATE|COPY|MOVE")


class Mbsync:
    """mbsync on a channel between imapsd (far) and a local Maildir
    tree (near), with -Dn so that its IMAP commands can be counted."""

    def __init__(self, workdir, site, starttls=False):
        need("mbsync")
        self.home = os.path.join(workdir, "mbsync")
        self.near = os.path.join(self.home, "near")
        os.makedirs(self.near)
        self.rc = os.path.join(self.home, "mbsyncrc")
        with open(self.rc, "w") as f:
            f.write(MBSYNCRC % {
                "host": HOST, "port": site.imap if starttls else site.imaps,
                "ssltype": "STARTTLS" if starttls else "IMAPS",
                "pw": PASSWORD, "cert": site.cert[0], "near": self.near})

    def sync(self):
        """One run of the whole channel: the IMAP commands it sent."""
        r = subprocess.run(["mbsync", "-c", self.rc, "-Dn", "-a"],
                           env={"PATH": "/usr/bin:/bin", "HOME": self.home},
                           capture_output=True,
                           timeout=clientfix.CLIENT_TIMEOUT)
        out = r.stdout.decode(errors="replace")
        assert r.returncode == 0, out + r.stderr.decode(errors="replace")
        self.cmds = re.findall(r">>> \d+ (.*?)\r?$", out, re.M)
        assert self.cmds, out
        return self.cmds

    def transfers(self):
        return [c for c in self.cmds if TRANSFER.search(c)]

    def boxes(self):
        """The local mailboxes: directories holding cur/."""
        return sorted(os.path.relpath(root, self.near)
                      for root, dirs, _ in os.walk(self.near)
                      if "cur" in dirs)

    def msgs(self, box):
        """{far uid: local file path} of a box, from its state file."""
        d = os.path.join(self.near, box)
        with open(os.path.join(d, ".mbsyncstate")) as f:
            text = f.read()
        pairs = {}
        for line in text.split("\n\n", 1)[1].splitlines():
            w = line.split()
            if w[0] != "0" and w[1] != "0":
                pairs[int(w[1])] = int(w[0])
        out = {}
        for sub in ("new", "cur"):
            for n in os.listdir(os.path.join(d, sub)):
                m = re.search(r",U=(\d+)", n)
                if m and int(m.group(1)) in pairs:
                    out[pairs[int(m.group(1))]] = os.path.join(d, sub, n)
        return out

    def state(self):
        return {b: content(os.path.join(self.near, b, ".mbsyncstate"))
                for b in self.boxes()}


def untuid(msg):
    """The message without the X-TUID header mbsync adds to each one it
    copies (its way to find a message again after an interruption)."""
    head, sep, body = msg.partition(b"\n\n")
    head, n = re.subn(rb"(^|\n)X-TUID: [A-Za-z0-9+/]{12}(?=\n|$)", b"",
                      head, count=1)
    assert n == 1, msg[:200]
    return head + sep + body


def local_rename(path, letters):
    """Sets a local message's flags as a mail reader on it would."""
    d = os.path.dirname(os.path.dirname(path))
    base = os.path.basename(path).split(":2,")[0]
    new = os.path.join(d, "cur", base + ":2," + "".join(sorted(letters)))
    os.rename(path, new)
    return new


FOLDER_DIRS = {"INBOX": "", "Sent": ".Sent", "a/b&AOk-t&AOk-": DEEP_DIR,
               "Entw&APw-rfe": DRAFT_DIR}


def mtime(path):
    return int(os.stat(path).st_mtime)


def assert_mirrored(site, mb):
    """Every message of every folder is on both sides, the same octets
    (but for mbsync's X-TUID line), the same flags and, as mbsync copies
    it (CopyArrivalDate), the same arrival time."""
    for box, dirname in FOLDER_DIRS.items():
        far = server_msgs(os.path.join(site.maildir(), dirname))
        near = mb.msgs(box)
        assert sorted(far) == sorted(near), box
        for uid, path in far.items():
            assert untuid(content(near[uid])) == content(path), (box, uid)
            assert flags(near[uid]) == flags(path), (box, uid)
            assert mtime(near[uid]) == mtime(path), (box, uid)


@pytest.fixture
def filled(site):
    fill(site)
    return site


def pull_and_resync(site, mb):
    mb.sync()
    assert mb.boxes() == NEAR_BOXES
    assert_mirrored(site, mb)
    inbox = mb.msgs("INBOX")
    assert sorted(flags(p) for p in inbox.values()) == ["", "", "", "S"]
    assert untuid(content(inbox[4])) == MSGS[3]	# UIDs in file order
    fetched = [c for c in mb.transfers() if "BODY.PEEK[]" in c]
    assert len(fetched) == len(MSGS) + 3
    # nothing changed: the second run moves nothing, changes no file
    near = files(mb.near)
    far = files(site.maildir())
    mb.sync()
    assert mb.transfers() == []
    assert files(mb.near) == near
    assert files(site.maildir()) == far


def test_mbsync_pulls_folder_tree_byte_exact(filled, workdir):
    pull_and_resync(filled, Mbsync(workdir, filled))


def test_mbsync_dovecot_namespace_starttls(workdir, cert):
    """A Maildir from Dovecot, served without the "INBOX." prefix, over
    STARTTLS on the plain port: mbsync makes the same local tree."""
    site = Site(workdir, cert, conf="namespace dovecot\n")
    fill(site)
    with site:
        mb = Mbsync(workdir, site, starttls=True)
        pull_and_resync(site, mb)
        assert 'SELECT "Sent"' in mb.cmds


def test_mbsync_flags_both_ways(filled, workdir):
    site = filled
    mb = Mbsync(workdir, site)
    mb.sync()
    # near to far: read and flag one, answer another
    inbox = mb.msgs("INBOX")
    local_rename(inbox[1], "FS")
    local_rename(inbox[3], "R")
    mb.sync()
    far = server_msgs(site.maildir())
    assert flags(far[1]) == "FS"
    assert flags(far[3]) == "R"
    assert "cur" in far[1]
    assert any(c.startswith("UID STORE") for c in mb.transfers())
    # far to near: another client of imapsd changes them
    c = site.login()
    c.select("INBOX")
    assert c.uid("STORE", "1", "-FLAGS", "(\\Flagged)")[0] == "OK"
    assert c.uid("STORE", "4", "+FLAGS", "(\\Seen \\Draft)")[0] == "OK"
    c.select("INBOX.Sent")
    assert c.uid("STORE", "1", "-FLAGS", "(\\Seen)")[0] == "OK"
    c.logout()
    mb.sync()
    inbox = mb.msgs("INBOX")
    assert flags(inbox[1]) == "S"
    assert flags(inbox[4]) == "DS"
    assert flags(mb.msgs("Sent")[1]) == ""
    assert_mirrored(site, mb)
    assert not [c for c in mb.transfers() if "BODY" in c]


def test_mbsync_delete_and_expunge_both_ways(filled, workdir):
    site = filled
    mb = Mbsync(workdir, site)
    mb.sync()
    # near: mark deleted; Expunge Both removes it there and on imapsd
    local_rename(mb.msgs("INBOX")[2], "ST")
    os.unlink(mb.msgs("a/b&AOk-t&AOk-")[1])
    mb.sync()
    far = server_msgs(site.maildir())
    assert sorted(far) == [1, 3, 4]
    assert sorted(mb.msgs("INBOX")) == [1, 3, 4]
    assert server_msgs(os.path.join(site.maildir(), DEEP_DIR)) == {}
    assert mb.msgs("a/b&AOk-t&AOk-") == {}
    # far: another client deletes and expunges
    c = site.login()
    c.select("INBOX")
    assert c.uid("STORE", "3", "+FLAGS", "(\\Deleted)")[0] == "OK"
    assert c.expunge()[0] == "OK"
    c.logout()
    mb.sync()
    assert sorted(mb.msgs("INBOX")) == [1, 4]
    assert len(os.listdir(os.path.join(mb.near, "INBOX", "new")) +
               os.listdir(os.path.join(mb.near, "INBOX", "cur"))) == 2
    assert_mirrored(site, mb)


def test_mbsync_pushes_new_message_and_folder(filled, workdir):
    site = filled
    mb = Mbsync(workdir, site)
    mb.sync()
    new = b"From: ana@example.org\nSubject: written offline\n\nlocal\n"
    with open(os.path.join(mb.near, "INBOX", "new", "1.local.host"),
              "wb") as f:
        f.write(new)
    box = os.path.join(mb.near, "Archive", "2024")
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(box, sub))
    with open(os.path.join(box, "cur", "2.local.host:2,S"), "wb") as f:
        f.write(SENT)
    os.utime(os.path.join(box, "cur", "2.local.host:2,S"),
             (1500000000, 1500000000))
    mb.sync()
    appends = [c for c in mb.transfers() if c.startswith("APPEND")]
    assert len(appends) == 2, mb.cmds
    far = server_msgs(site.maildir())
    assert sorted(far) == [1, 2, 3, 4, 5]
    # as sent over IMAP: CR LF, with mbsync's X-TUID
    assert lf(untuid(lf(content(far[5])))) == new
    assert flags(far[5]) == ""
    arch = os.path.join(site.maildir(), ".Archive.2024")
    assert os.path.isfile(os.path.join(arch, "maildirfolder"))
    got = server_msgs(arch)
    assert list(got) == [1]
    assert untuid(lf(content(got[1]))) == SENT
    assert flags(got[1]) == "S"
    assert mtime(got[1]) == 1500000000	# APPEND's date
    # the local copies got their far UIDs: the next run moves nothing
    assert sorted(mb.msgs("INBOX")) == [1, 2, 3, 4, 5]
    assert list(mb.msgs("Archive/2024")) == [1]
    mb.sync()
    assert mb.transfers() == []


def test_mbsync_after_restart_downloads_nothing_again(filled, workdir):
    site = filled
    mb = Mbsync(workdir, site)
    mb.sync()
    state = mb.state()
    assert site.stop() == 0
    late = b"From: bob@example.com\nSubject: late\n\nwhile down\n"
    put(site.maildir(), late)
    site.start()	# its log goes on: wait for the second start line
    site.wait_log("event=start", count=2)
    mb.sync()
    # same UIDVALIDITY and UIDs: only the message delivered meanwhile
    fetched = [c for c in mb.transfers() if "BODY.PEEK[]" in c]
    assert fetched == ["UID FETCH 5 (INTERNALDATE BODY.PEEK[])"], mb.cmds
    assert [c for c in mb.transfers() if "BODY" not in c] == []
    after = mb.state()
    for box in NEAR_BOXES:
        if box != "INBOX":
            assert after[box] == state[box], box
    validity = re.compile(rb"^FarUidValidity \d+$", re.M)
    assert validity.search(after["INBOX"]).group(0) == \
        validity.search(state["INBOX"]).group(0)
    assert untuid(content(mb.msgs("INBOX")[5])) == late
    assert_mirrored(site, mb)


# --- fetchmail ---------------------------------------------------------------

def inbox_files(site):
    md = site.maildir()
    return sorted(os.listdir(os.path.join(md, "new")) +
                  os.listdir(os.path.join(md, "cur")))


def test_fetchmail_imaps_keep_fetches_only_new(site, workdir):
    need("fetchmail")
    for m in MSGS:
        put(site.maildir(), m)
    fm = clientfix.Fetchmail(workdir, site.cert[0], "IMAP", site.imaps,
                             "ana", PASSWORD, keep=True)
    rc, got = fm.run()
    assert rc == clientfix.FETCHMAIL_GOT_MAIL, fm.log
    assert got == sorted(MSGS)
    # kept, and marked \Seen so the next poll skips them
    far = server_msgs(site.maildir())
    assert sorted(flags(p) for p in far.values()) == ["S"] * len(MSGS)
    assert fm.run() == (clientfix.FETCHMAIL_NO_MAIL, [])
    late = b"From: bob@example.com\nSubject: late\n\nnew one\n"
    site.deliver(late)
    rc, got = fm.run()
    assert rc == clientfix.FETCHMAIL_GOT_MAIL
    assert len(got) == 1
    # maildeliver adds Return-Path and Delivered-To above it
    assert got[0].endswith(late)
    assert got[0] == content(server_msgs(site.maildir())[len(MSGS) + 1])


def test_fetchmail_imaps_no_keep_empties_the_maildir(site, workdir):
    need("fetchmail")
    for m in MSGS:
        put(site.maildir(), m)
    fm = clientfix.Fetchmail(workdir, site.cert[0], "IMAP", site.imaps,
                             "ana", PASSWORD, keep=False)
    rc, got = fm.run()
    assert rc == clientfix.FETCHMAIL_GOT_MAIL, fm.log
    assert got == sorted(MSGS)
    assert any("EXPUNGE" in c for c in fm.commands()), fm.log
    assert inbox_files(site) == []
    assert fm.run() == (clientfix.FETCHMAIL_NO_MAIL, [])


def test_fetchmail_imaps_idle_fetches_as_mail_arrives(site, workdir):
    need("fetchmail")
    put(site.maildir(), MSGS[0])
    fm = clientfix.Fetchmail(workdir, site.cert[0], "IMAP", site.imaps,
                             "ana", PASSWORD, keep=True, idle=True)
    fm.start()
    try:
        buzontest.wait_for(lambda: "IMAP< + idling" in fm.running_log(),
                           clientfix.CLIENT_TIMEOUT, "fetchmail IDLE")
        assert fm.delivered() == [MSGS[0]]
        late = b"From: bob@example.com\nSubject: late\n\nwake up\n"
        site.deliver(late)
        buzontest.wait_for(lambda: os.listdir(fm.out),
                           clientfix.CLIENT_TIMEOUT, "fetchmail delivery")
        buzontest.wait_for(lambda: fm.running_log().count(
            "IMAP< + idling") == 2, clientfix.CLIENT_TIMEOUT,
            "fetchmail IDLE again")
    finally:
        fm.stop()
    got = fm.delivered()
    assert len(got) == 1 and got[0].endswith(late), fm.log
    assert got[0] == content(server_msgs(site.maildir())[2])
    assert sorted(flags(p) for p in server_msgs(site.maildir()).values()) \
        == ["S", "S"]


# --- curl: a minimal webmail ------------------------------------------------

def curl(site, path, *args):
    need("curl")
    r = subprocess.run(["curl", "-sS", "--cacert", site.cert[0], "-u",
                        "ana:" + PASSWORD,
                        "imaps://%s:%d/%s" % (HOST, site.imaps, path)] +
                       list(args), capture_output=True,
                       timeout=clientfix.CLIENT_TIMEOUT)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_curl_list_fetch_search_store_append(filled):
    site = filled
    listed = {}
    for line in curl(site, "").splitlines():
        m = re.match(rb'\* LIST \(([^)]*)\) "\." "([^"]*)"$', line)
        assert m, line
        listed[m.group(2).decode()] = m.group(1).decode().split()
    assert sorted(listed) == ["INBOX", "INBOX.Entw&APw-rfe", "INBOX.Sent",
                              "INBOX.a", "INBOX.a.b&AOk-t&AOk-"]
    assert "\\Noselect" in listed["INBOX.a"]	# no .a on disk
    assert "\\Sent" in listed["INBOX.Sent"]
    # one message by UID, as IMAP sends it; a large one too
    assert curl(site, "INBOX;UID=1") == crlf(MSGS[0])
    assert curl(site, "INBOX;UID=4") == crlf(MSGS[3])
    assert curl(site, "INBOX.a.b&AOk-t&AOk-;UID=1") == crlf(DEEP)
    assert curl(site, "INBOX;UID=3;SECTION=HEADER") == \
        crlf(MSGS[2].split(b"\n\n")[0] + b"\n\n")
    # fetching BODY[] sets \Seen, on disk
    assert flags(server_msgs(site.maildir())[1]) == "S"
    assert flags(server_msgs(site.maildir())[2]) == "S"	# was already
    assert curl(site, "INBOX?SUBJECT%20dots") == b"* SEARCH 2\r\n"
    out = curl(site, "INBOX", "-X", "UID STORE 3 +FLAGS (\\Flagged)")
    assert re.match(rb"\* 3 FETCH \(.*\\Flagged", out), out
    assert "F" in flags(server_msgs(site.maildir())[3])
    # the webmail saves what it sent: APPEND as the client wrote it
    sent = os.path.join(site.dir, "outgoing.eml")
    with open(sent, "wb") as f:
        f.write(crlf(SENT))
    curl(site, "INBOX.Sent", "-T", sent)
    got = server_msgs(os.path.join(site.maildir(), ".Sent"))
    assert sorted(got) == [1, 2]
    assert content(got[2]) == crlf(SENT)
    assert sorted(server_msgs(site.maildir())) == [1, 2, 3, 4]


def test_curl_starttls_on_the_plain_port(filled):
    """--ssl-reqd: curl must STARTTLS and verify before it logs in."""
    site = filled
    need("curl")
    r = subprocess.run(["curl", "-sS", "-v", "--ssl-reqd", "--cacert",
                        site.cert[0], "-u", "ana:" + PASSWORD,
                        "imap://%s:%d/INBOX.Sent;UID=1" % (HOST, site.imap)],
                       capture_output=True, timeout=clientfix.CLIENT_TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert r.stdout == crlf(SENT)
    log = r.stderr.decode(errors="replace")
    starttls = re.search(r"^> A\d+ STARTTLS", log, re.M)
    assert starttls, log
    assert starttls.start() < log.index("AUTHENTICATE PLAIN")


# --- mutt --------------------------------------------------------------------

MUTTRC = """set folder="imaps://ana@%(host)s:%(port)d/"
set spoolfile="+INBOX"
set imap_user="ana"
set imap_pass="%(pw)s"
set ssl_ca_certificates_file="%(cert)s"
set certificate_file="%(home)s/certificates"
set header_cache=""
set message_cachedir=""
set record=""
set move=no
set delete=yes
set quit=yes
set confirmcreate=no
set confirmappend=no
set resolve=no
set wait_key=no
set pipe_decode=no
set sleep_time=0
set beep=no
set timeout=0
set sort=mailbox-order
"""
MUTT_TIMEOUT = 60


def mutt(workdir, site, keys):
    """mutt on imapsd's INBOX in a pseudo-terminal, the keys pushed as
    if typed; its exit status and what it drew.  push queues the keys
    before mutt first reads the terminal, so nothing races; a step that
    fails empties the queue and leaves mutt waiting for a key, which the
    time-out turns into a failure showing the screen."""
    need("mutt")
    home = os.path.join(workdir, "mutt")
    os.makedirs(home, exist_ok=True)
    rc = os.path.join(home, "muttrc")
    with open(rc, "w") as f:
        f.write(MUTTRC % {"host": HOST, "port": site.imaps, "pw": PASSWORD,
                          "cert": site.cert[0], "home": home})
    pid, fd = pty.fork()
    if pid == 0:	# never back into pytest
        try:
            os.chdir(home)	# a mistyped key saves a file here at worst
            os.execve(shutil.which("mutt"),
                      ["mutt", "-n", "-F", rc, "-e", 'push "%s"' % keys],
                      {"PATH": "/usr/bin:/bin", "HOME": home,
                       "TERM": "vt100", "LINES": "24", "COLUMNS": "80",
                       "LC_ALL": "C.UTF-8"})
        finally:
            os._exit(127)
    screen = b""
    deadline = time.monotonic() + MUTT_TIMEOUT
    try:
        while time.monotonic() < deadline:
            if select.select([fd], [], [], 1)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:	# EIO: the terminal's other side is gone
                    break
                if not chunk:
                    break
                screen += chunk
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return status, screen.decode(errors="replace")


def test_mutt_reads_flags_deletes_copies_and_moves(filled, workdir):
    site = filled
    out1 = os.path.join(workdir, "piped1")
    out4 = os.path.join(workdir, "piped4")
    keys = ("<first-entry><pipe-message>cat > %s<enter>"
            "<flag-message>"
            "<next-entry><delete-message>"
            "<next-entry><copy-message>=INBOX.Saved<enter>"
            "<display-message><exit>"
            "<last-entry><pipe-message>cat > %s<enter>"
            "<save-message>=INBOX.Moved<enter>"
            "<sync-mailbox><quit>" % (out1, out4))
    status, screen = mutt(workdir, site, keys)
    assert status == 0, screen
    # what mutt read is what the Maildir holds
    assert content(out1) == MSGS[0]
    assert content(out4) == MSGS[3]
    far = server_msgs(site.maildir())
    assert sorted(far) == [1, 3]	# 2 deleted, 4 moved; expunged
    assert flags(far[1]) == "F"
    assert flags(far[3]) == "S"	# read in the pager
    assert content(far[3]) == MSGS[2]
    saved = server_msgs(os.path.join(site.maildir(), ".Saved"))
    assert list(saved) == [1]
    assert content(saved[1]) == MSGS[2]
    moved = server_msgs(os.path.join(site.maildir(), ".Moved"))
    assert list(moved) == [1]
    assert content(moved[1]) == MSGS[3]


def test_mutt_utf8_folder_names(filled, workdir):
    """mutt takes folder names in UTF-8 and sends them in modified
    UTF-7: it opens a.bété and moves its message to a new folder
    Übersicht, which imapsd creates in modified UTF-7 on disk."""
    site = filled
    out = os.path.join(workdir, "piped")
    keys = ("<change-folder>=INBOX.a.bété<enter>"
            "<first-entry><pipe-message>cat > %s<enter>"
            "<save-message>=INBOX.Übersicht<enter>"
            "<sync-mailbox><quit>" % out)
    status, screen = mutt(workdir, site, keys)
    assert status == 0, screen
    assert content(out) == DEEP
    assert server_msgs(os.path.join(site.maildir(), DEEP_DIR)) == {}
    moved = server_msgs(os.path.join(site.maildir(), ".&ANw-bersicht"))
    assert list(moved) == [1]
    assert content(moved[1]) == DEEP
