"""mailqueue's socket under seeded random frames: submissions (MAIL,
RCPT, DATA, END) with octets of any frame changed, cut out or appended,
the client's side shut after them.  Every answer is well-formed (OK,
FAIL, TEMPFAIL, or ERROR and the end of the connection), nothing hangs,
no half-written file stays in the queue's tmp/, and the daemon takes a
real message afterwards.  Sanitizer reports fail the run
(regress/run.py)."""

import random
import socket

import pytest

from buzontest import mangle, wait_for
from queuewire import (LAYOUT, Mailqueue, OK, FAIL, TEMPFAIL, ERROR, END,
                       data_frames, frame, mail_frame, rcpt_frame)

CONNECTIONS = 100
SEED = 2
NOISE = bytes(range(256))
BODIES = [b"Subject: t\r\n\r\nbody\r\n", b"x" * 3000, b"",
          b"From: a@b\r\n\r\n\x00\x80\r\n.\r\n"]


def message(rnd):
    frames = [mail_frame(rnd.choice(["", "a@b.example", "a@b.example",
                                     "x" * 300]))]
    frames += [rcpt_frame(rnd.choice(["ana", "bob@example.org",
                                      "x@elsewhere.example"]))
               for _ in range(rnd.choice([0, 1, 1, 2, 4]))]
    frames += [data_frames(rnd.choice(BODIES)), frame(END)]
    return b"".join(mangle(rnd, f, NOISE, 0.07) for f in frames)


@pytest.fixture
def mq(workdir):
    with Mailqueue(workdir, conf="max_recipients 3\nmax_message_size 2K\n"
                   "timeout 2s\n") as q:
        yield q


def test_random_submissions(mq):
    rnd = random.Random(SEED)
    for n in range(CONNECTIONS):
        sent = b"".join(message(rnd) for _ in range(rnd.randint(1, 2)))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(mq.sock)
        s.sendall(sent)
        s.shutdown(socket.SHUT_WR)
        got = LAYOUT.read_all(s)
        s.close()
        for i, (mtype, fields) in enumerate(got):
            assert mtype in (OK, FAIL, TEMPFAIL, ERROR), (n, sent, got)
            assert mtype != ERROR or i == len(got) - 1, (n, sent, got)
        assert mq.daemon.running()
    wait_for(lambda: mq.queued("tmp") == [], 10, "tmp/ cleaned")
    assert mq.submit("", ["ana"], b"Subject: t\r\n\r\nbody\r\n")[0] == OK
