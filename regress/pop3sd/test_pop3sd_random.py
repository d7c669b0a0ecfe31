"""pop3sd under seeded random input: pipelined sessions of real commands
with octets changed, cut out or appended (NUL, 8-bit, CR, LF, signs,
blanks), before and after the login (STLS aside: what follows it in the same
write is dropped, as RFC 2595 wants).  Whatever came before, the QUIT
sent last is answered last, so the server never lost its place; the
daemon lives on and the Maildir keeps exactly the messages a QUIT in
the TRANSACTION state did not remove.  Sanitizer reports fail the run
(regress/run.py)."""

import base64
import os
import random
import re

import pytest

import buzontest
from buzontest import mangle
from pop3fix import Site

SESSIONS = 60
SEED = 7
MESSAGES = 40

COMMANDS = [
    b"USER ana", b"PASS ana-pw", b"USER nosuch", b"PASS wrong", b"STAT",
    b"LIST", b"LIST 1", b"LIST 99", b"UIDL", b"UIDL 2", b"RETR 1",
    b"TOP 2 0", b"TOP 3 1", b"DELE 3", b"DELE 4", b"RSET", b"NOOP", b"CAPA",
    b"AUTH", b"AUTH PLAIN", b"AUTH PLAIN " + base64.b64encode(b"\0ana\0ana-pw"),
    b"APOP ana 0123", b"LAST", b"RETR 4294967296", b"TOP 1 -1", b"LIST 0",
]

NOISE = b" \x00\x80\xff\r\n+-*=:AZaz0123456789"


def script(rnd):
    out = [b"USER ana\r\nPASS ana-pw\r\n"] if rnd.random() < 0.7 else []
    for _ in range(rnd.randint(3, 25)):
        cmd = rnd.choice(COMMANDS)
        out.append(mangle(rnd, cmd, NOISE, 0.6) + b"\r\n")
    return b"".join(out)


@pytest.fixture
def rsite(workdir, cert):
    # Failed logins are part of the input: authd must not slow them.
    s = Site(workdir, cert, conf="max_errors 1000\n",
             authd_conf="throttle_after 1000\n")
    for i in range(MESSAGES):
        s.put(b"Subject: m%d\n\nline\n.dot\n" % i)
    with s:
        yield s


def test_random_sessions_stay_in_step(rsite):
    rnd = random.Random(SEED)
    removed = 0
    for n in range(SESSIONS):
        r = rsite.raw(tls=False)
        assert r.line().startswith(b"+OK ")
        # "*" cancels an AUTH left waiting for its response, or is an
        # unknown command: either way QUIT is a command after it.
        r.send(script(rnd) + b"*\r\nQUIT\r\n")
        assert r.closed(), "session %d: still open after QUIT" % n
        last = r.buf.rstrip(b"\r\n").rsplit(b"\r\n", 1)[-1]
        m = re.match(rb"\+OK bye(, (\d+) messages removed)?$", last)
        assert m, (n, last)
        removed += int(m.group(2) or 0)
        assert rsite.daemon.running()
    buzontest.wait_for(lambda: rsite.log().count("event=disconnect") +
                       rsite.log().count("event=logout") == SESSIONS, 10,
                       "every session's end")
    md = rsite.maildir()
    left = os.listdir(os.path.join(md, "new")) + \
        os.listdir(os.path.join(md, "cur"))
    assert len(left) == MESSAGES - removed
    assert os.listdir(os.path.join(md, "tmp")) == []
