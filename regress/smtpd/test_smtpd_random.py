"""smtpd-lite under seeded random input: pipelined sessions of real
commands and messages with octets changed, cut out or appended (NUL,
8-bit, CR, LF, brackets, quotes, separators).  Whatever came before, the
QUIT sent last gets the 221 and the connection closes, so the server
never lost its place (DATA and its end included); no session dies, and
every message the stand-in queue got was one smtpd-lite said 250 to.
Sanitizer reports fail the run (regress/run.py)."""

import random

import pytest

from buzontest import mangle
from smtpdwire import CLIENT, DOMAIN, Raw, mkhash, passwd_line, smtpd_env

SESSIONS = 60
SEED = 3

USERS = [passwd_line("ana", mkhash("ana-pw"), 2001, 2001)]

COMMANDS = [
    b"EHLO " + CLIENT.encode(), b"HELO x", b"MAIL FROM:<a@b.example>",
    b"MAIL FROM:<> SIZE=100 BODY=8BITMIME", b"MAIL FROM:<a@b.example> "
    b"SMTPUTF8", b"RCPT TO:<ana@" + DOMAIN.encode() + b">",
    b"RCPT TO:<nosuch@" + DOMAIN.encode() + b">",
    b"RCPT TO:<x@elsewhere.example>", b"RCPT TO:<\"a b\"@example.org>",
    b"RCPT TO:<@r1,@r2:ana@" + DOMAIN.encode() + b">", b"RCPT TO:<postmaster>",
    b"DATA", b"RSET", b"NOOP", b"VRFY ana", b"EXPN list", b"HELP",
    b"AUTH PLAIN", b"MAIL FROM:<a@[127.0.0.1]>", b"BDAT 10 LAST",
]

BODIES = [b"Subject: hi\r\n\r\nbody\r\n", b"Subject: x\r\n\r\n..dot\r\n",
          b"a\nbare lf\r\n", b"", b"x\rbare cr\r\n", b"\x00nul\r\n"]

# No digit: no count a command carries is changed into another one.
NOISE = b"<>@:,.\"\\ =()[]\x00\x80\xff\r\nAZaz"


def script(rnd):
    out = [b"EHLO " + CLIENT.encode() + b"\r\n"]
    for _ in range(rnd.randint(3, 20)):
        cmd = rnd.choice(COMMANDS)
        odds = 0.5
        if cmd == b"DATA" and rnd.random() < 0.8:
            # a whole transaction, so that some messages get through
            out.append(b"RSET\r\n")
            for c in (COMMANDS[2], COMMANDS[5]):
                out.append(mangle(rnd, c, NOISE, 0.2) + b"\r\n")
            odds = 0.2
        out.append(mangle(rnd, cmd, NOISE, odds) + b"\r\n")
        if cmd == b"DATA":
            body = rnd.choice(BODIES)
            out.append(mangle(rnd, body, NOISE, 0.5) + b"\r\n.\r\n")
        elif cmd == b"BDAT 10 LAST":
            out.append(b"0123456789")
    # "*" cancels an AUTH left waiting for its response, or is an
    # unknown command: either way QUIT is a command after it.
    out.append(b"*\r\nQUIT\r\n")
    return b"".join(out)


@pytest.fixture(scope="module")
def env():
    with smtpd_env("buzon-smtpd-random-", DOMAIN + "\n", USERS,
                   conf="max_errors 1000\n") as e:
        yield e


def test_random_sessions_stay_in_step(env):
    rnd = random.Random(SEED)
    queued = len(env.queue.messages)
    for n in range(SESSIONS):
        r = Raw(env.smtpd.port["smtp"])
        assert r.reply().code == 220
        r.send(script(rnd))
        assert r.closed(), "session %d: still open after QUIT" % n
        last = r.buf.rstrip(b"\r\n").rsplit(b"\r\n", 1)[-1]
        assert last.startswith(b"221 2.0.0 "), (n, last)
        queued += r.buf.count(b"\r\n250 2.0.0 Ok: queued as ")
        assert env.smtpd.daemon.running()
    assert len(env.queue.messages) == queued
    env.smtpd.claim_sanitizer()
    log = env.smtpd.log()
    assert "session_died" not in log and "session_exit" not in log
