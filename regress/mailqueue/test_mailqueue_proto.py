"""The queue socket protocol: malformed and out-of-order frames get ERROR
and the end of the connection; limits get FAIL; the queue listing."""

import os
import struct
import time

import pytest

from buzontest import wait_for
from queuewire import (Mailqueue, MAIL, RCPT, DATA, END, ABORT, LIST, OK,
                       FAIL, ERROR, field, frame, mail_frame, rcpt_frame,
                       data_frames, wait_delivered)

BODY = b"Subject: t\r\n\r\nbody\r\n"


@pytest.fixture
def mq(workdir):
    with Mailqueue(workdir, conf="max_recipients 3\nmax_message_size 2K\n"
                   "max_clients 4\ntimeout 2s\n") as q:
        yield q


def error_and_close(q, data, reason=None):
    c = q.connect()
    c.send(data)
    t, f = c.recv_frame()
    assert t == ERROR, (t, f)
    if reason is not None:
        assert f["reason"] == reason
    assert c.at_eof()
    c.close()
    return f["reason"]


@pytest.mark.parametrize("data,reason", [
    (struct.pack(">BBI", 2, MAIL, 0), None),                 # version
    (struct.pack(">BBI", 1, 0x42, 0), "unknown type"),
    (struct.pack(">BBI", 1, DATA, 65537), "frame too long"),
    (frame(RCPT, field("rcpt", "a@b.c")), "frame out of order"),
    (mail_frame("") + frame(END), "frame out of order"),
    (mail_frame("") + frame(DATA, b"x"), "frame out of order"),
    (frame(DATA, b"x"), "frame out of order"),
    (frame(OK, field("id", "X")), "unexpected frame type"),
    (frame(MAIL, field("sender", "")), "missing field"),
    (frame(MAIL, field("sender", "") + field("sender", "") +
           field("flags", 0)), "duplicate field"),
    (frame(MAIL, field("sender", "a\0b") + field("flags", 0)), None),
    (frame(MAIL, field("sender", "x" * 300) + field("flags", 0)), None),
    (frame(MAIL, field("sender", "") + field("flags", 0) +
           field("rcpt", "a@b")), "unexpected field"),
    (frame(MAIL, b"\x01\x00\x10ab"), "truncated field"),
    (mail_frame("") + frame(LIST), "frame out of order"),
])
def test_malformed(mq, data, reason):
    error_and_close(mq, data, reason)
    assert "event=protocol-error" in mq.log()
    # the daemon is unharmed
    assert mq.submit("", ["ana"], BODY)[0] == OK


def test_cut_short_frame_and_timeout(mq):
    c = mq.connect(timeout=10)
    c.send(mail_frame("")[:8])
    t0 = time.monotonic()
    t, f = c.recv_frame()
    assert (t, f["reason"]) == (ERROR, "timeout")
    assert 1.5 < time.monotonic() - t0 < 6
    assert c.at_eof()
    c.close()
    c = mq.connect()
    c.send(mail_frame("") + rcpt_frame("ana"))
    c.s.shutdown(1)         # EOF in a message: dropped quietly
    assert c.recv_frame() is None
    c.close()
    wait_for(lambda: mq.queued("tmp") == [], 5, "tmp/ cleaned")


def test_limits_fail_and_connection_goes_on(mq):
    c = mq.connect()
    t, f = c.submit("", ["a@example.org", "b@example.org", "c@example.org",
                         "d@example.org"], BODY)
    assert (t, f["reason"]) == (FAIL, "too many recipients (at most 3)")
    t, f = c.submit("", ["ana"], b"x" * 2049)
    assert (t, f["reason"]) == (FAIL, "message too big (at most 2048 "
                                "octets)")
    t, f = c.submit("", ["ana"], b"x" * 2048)
    assert t == OK
    t, f = c.submit("not an address", ["ana"], BODY)
    assert (t, f["reason"]) == (FAIL, "bad sender address")
    t, f = c.submit("", ["bad address@"], BODY)
    assert (t, f["reason"]) == (FAIL, "bad recipient address")
    # a repeated recipient counts once
    t, f = c.submit("", ["ana", "ANA", "bob", "cyd"], BODY)
    assert t == OK, f
    # ABORT drops the message; the next one goes through
    c.send(mail_frame("") + rcpt_frame("bob") + data_frames(b"lost") +
           frame(ABORT))
    t, f = c.submit("", ["bob"], b"Subject: kept\r\n\r\n")
    assert t == OK
    c.close()
    msgs = wait_delivered(mq.users["bob"], 2)
    assert not any(b"lost" in m for m in msgs)
    assert "event=refused" in mq.log()
    assert mq.queued("tmp") == []


def test_max_clients(mq):
    conns = [mq.connect() for _ in range(4)]
    wait_for(lambda: len(mq.children()) == 5, 5, "4 acceptors")
    extra = mq.connect()
    t, f = extra.recv_frame()
    assert (t, f["reason"]) == (ERROR, "too many connections")
    extra.close()
    before = sorted(mq.children())
    conns.pop().close()
    # Its acceptor goes idle and takes the next connection: no new fork.
    got = []

    def submitted():
        c = mq.connect()
        try:
            t, f = c.submit("", ["ana"], BODY)
        except (EOFError, OSError):
            return False            # refused: not idle yet
        finally:
            c.close()
        if t == ERROR and f["reason"] == "too many connections":
            return False            # the same, answered in time
        got.append(t)
        return True
    wait_for(submitted, 5, "a connection served by the idle acceptor")
    assert got == [OK]
    assert sorted(mq.children()) == before
    for c in conns:
        c.close()


def test_list(workdir):
    with Mailqueue(workdir, conf="retry_min 1h\nretry_max 1h\n") as q:
        c = q.connect()
        assert c.list() == []
        t, f = c.submit("s@remote.test", ["far@remote.test", "ana"], BODY)
        q.wait_log("to=<far@remote.test> result=deferred")
        wait_delivered(q.users["ana"])
        wait_for(lambda: "rcpt done" in q.envelope(f["id"]), 5, "update")
        [(e, rcpts)] = c.list()
        assert e["id"] == f["id"] and e["sender"] == "s@remote.test"
        assert e["size"] == os.path.getsize(os.path.join(q.qdir, "msg",
                                                         f["id"]))
        assert abs(e["created"] - time.time()) < 10
        assert e["reason"] == "no remote transport yet"
        assert rcpts == [{"rcpt": "far@remote.test", "state": "pending",
                          "reason": "no remote transport yet"},
                         {"rcpt": "ana", "state": "done", "reason": ""}]
        # LIST in the middle of a message is out of order
        c.send(mail_frame("") + frame(LIST))
        assert c.recv_frame()[0] == ERROR
        c.close()


def test_acceptor_reused_then_idle_exit(workdir):
    """The acceptor that served a connection serves the next one (no new
    process) and exits after acceptor_idle without one; a connection
    after that gets a new acceptor and is served as well."""
    with Mailqueue(workdir, conf="acceptor_idle 1s\n") as q:
        spawner = q.children()
        assert q.submit("", ["ana"], BODY)[0] == OK
        [acceptor] = [p for p in q.children() if p not in spawner]
        time.sleep(0.3)         # its "idle" reaches the main process
        assert q.submit("", ["ana"], BODY)[0] == OK
        assert [p for p in q.children() if p not in spawner] == [acceptor]
        wait_for(lambda: q.children() == spawner, 10,
                 "the idle acceptor to exit")
        assert q.submit("", ["ana"], BODY)[0] == OK
        wait_for(lambda: len(q.users["ana"].messages()) == 3, 20,
                 "three deliveries")
