"""imapsd under seeded random input: pipelined sessions of real commands
with octets changed, cut out or appended (NUL, 8-bit, CR, LF, brackets,
separators).  Whatever came before, the LOGOUT sent last is answered in
order, so the server never lost its place in the stream; the daemon
lives on, and no folder is left with a half-written file in tmp/.
Sanitizer reports fail the run (regress/run.py)."""

import os
import random

import pytest

import buzontest
from buzontest import mangle
from imapfix import mkfolder, put, Site
from test_imapsd_fetch import response_line

SESSIONS = 40
SEED = 4

MSGS = [
    b"From: A <a@x.example>\nTo: b@y.example\nSubject: =?utf-8?q?caf=C3=A9?="
    b"\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nbody text\n",
    b"Content-Type: multipart/mixed; boundary=XX\nSubject: mp\n\n--XX\n"
    b"Content-Type: text/plain\n\npart1\n--XX\nContent-Type: message/rfc822"
    b"\n\nSubject: inner\n\ninner body\n--XX--\n",
    b"Subject: no body\n",
]

COMMANDS = [
    b"CREATE INBOX.x", b"CREATE INBOX.x.y.z", b"RENAME INBOX.x INBOX.q",
    b"DELETE INBOX.q", b"SUBSCRIBE INBOX.a", b"UNSUBSCRIBE INBOX.a",
    b"COPY 1:3 INBOX.Sent", b"MOVE 2 INBOX.a", b"UID MOVE 4:* INBOX.a.b",
    b"STORE 1:* +FLAGS (\\Deleted kw1)", b"STORE 2 FLAGS.SILENT (\\Seen)",
    b"EXPUNGE", b"UID EXPUNGE 1:5", b"CHECK", b"CLOSE", b"UNSELECT",
    b"UID FETCH 1:* (BODY.PEEK[1.2] BODYSTRUCTURE ENVELOPE)",
    b"FETCH 1:* (BODY[2.1.HEADER] BODY[2.TEXT]<2.100> RFC822.HEADER)",
    b"FETCH * FULL", b"FETCH 1,3:4 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
    b"SEARCH OR FROM a SUBJECT caf NOT DELETED",
    b"UID SEARCH CHARSET UTF-8 TEXT caf\xc3\xa9",
    b"SEARCH 1:3 LARGER 10 SINCE 1-Jan-2020 HEADER subject mp",
    b'LIST (SUBSCRIBED RECURSIVEMATCH) "" * RETURN (STATUS (MESSAGES '
    b"UNSEEN) CHILDREN)",
    b'LIST "" (INBOX.* %)', b'LSUB "" *', b"STATUS INBOX.a (MESSAGES UIDNEXT)",
    b"SELECT INBOX.a", b"EXAMINE INBOX", b"SELECT INBOX", b"NAMESPACE",
    b'ID ("name" "x")', b"ENABLE UTF8=ACCEPT", b"NOOP", b"IDLE",
    b"APPEND INBOX.a (\\Seen kw) \"05-Jan-2023 11:12:13 +0100\" {3+}",
    b"APPEND INBOX {3}",
]

# Octets a change puts in: no digit and no brace, and a cut keeps every
# brace and plus, so that no literal the test does not send is announced.
NOISE = b"()[]<>*%:.,\"\\ \x00\x80\xff\r\nAZaz"


def script(rnd):
    """One session's input after the login: commands, each with the
    literal or the DONE it may call for."""
    out = [b"s SELECT INBOX\r\n"] if rnd.random() < 0.7 else []
    for i in range(rnd.randint(5, 30)):
        cmd = rnd.choice(COMMANDS)
        out.append(b"c%d " % i + mangle(rnd, cmd, NOISE, 0.6, b"{}+") +
                   b"\r\n")
        if b"{3" in cmd:
            out.append(b"abc\r\n")
        if cmd == b"IDLE":
            out.append(b"DONE\r\n")
    return b"".join(out)


def tmp_files(md):
    found = []
    for top, dirs, files in os.walk(md):
        if os.path.basename(top) == "tmp":
            found += files
    return found


@pytest.fixture
def rsite(workdir, cert):
    s = Site(workdir, cert, conf="max_errors 1000\n")
    with s:
        yield s


def test_random_sessions_stay_in_step(rsite):
    rnd = random.Random(SEED)
    md = rsite.maildir()
    for i in range(12):
        put(md, MSGS[i % len(MSGS)], sub="cur" if i % 2 else "new",
            info=":2,S" if i % 3 == 0 else "")
    for f in (".Sent", ".a", ".a.b"):
        mkfolder(rsite, f)
    for n in range(SESSIONS):
        r = rsite.raw(tls=False)
        assert r.line().startswith(b"* OK ")
        assert r.cmd("a LOGIN ana ana-pw").startswith(b"a OK ")
        r.send(script(rnd) + b"zz LOGOUT\r\n")
        while True:
            line = response_line(r)
            assert line != b"", "session %d: closed before LOGOUT" % n
            if line.startswith(b"zz "):
                break
        assert line == b"zz OK LOGOUT completed", (n, line)
        assert r.closed()
        assert rsite.daemon.running()
    buzontest.wait_for(lambda: rsite.log().count("event=logout") == SESSIONS,
                       10, "every session's end")
    assert "result=logout" in rsite.log()
    assert tmp_files(md) == []
