"""The spawner's maildeliver processes: one kept per busy recipient for
delivery_idle, one per message with delivery_idle 0, room made for other
users when every slot is taken, and an agent that dies or misbehaves
fails its delivery with a reason, never silently."""

import os
import re

import pytest

import buzontest
from buzontest import proc_uid, wait_for
from queuewire import Mailqueue, OK, wait_delivered

BODY = b"Subject: agents\r\n\r\nHello.\r\n"


def pids(user):
    """The maildeliver pid of each Maildir file name: P<pid>Q<n>."""
    return [re.search(r"P(\d+)Q", os.path.basename(p)).group(1)
            for p in user.files()]


def test_one_agent_serves_a_busy_recipient(workdir):
    q = Mailqueue(workdir, conf="delivery_idle 2s\n")
    with q:
        for i in range(4):
            t, f = q.submit("a@remote.test", ["ana@example.org"], BODY)
            assert t == OK, f
            wait_delivered(q.users["ana"], i + 1)
        assert len(set(pids(q.users["ana"]))) == 1
        [pid] = set(pids(q.users["ana"]))
        # It runs as the recipient, a child of the spawner, until idle.
        assert os.path.exists("/proc/%s" % pid)
        assert proc_uid(int(pid)) == q.users["ana"].uid
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            assert f.read().split(b"\0")[1:3] == [b"-S", b"-t"]
        wait_for(lambda: not os.path.exists("/proc/%s" % pid), 10,
                 "the idle maildeliver to exit")
        t, f = q.submit("a@remote.test", ["ana@example.org"], BODY)
        wait_delivered(q.users["ana"], 5)
        assert len(set(pids(q.users["ana"]))) == 2


def test_delivery_idle_zero_is_one_agent_per_message(workdir):
    q = Mailqueue(workdir, conf="delivery_idle 0\n")
    with q:
        for i in range(3):
            t, f = q.submit("a@remote.test", ["bob@example.org"], BODY)
            wait_delivered(q.users["bob"], i + 1)
        assert len(set(pids(q.users["bob"]))) == 3


def test_slots_are_shared_between_users(workdir):
    """One slot, three users in turn: the idle agent of one user makes
    room for the next; every message lands, as its own user."""
    q = Mailqueue(workdir, conf="delivery_concurrency 1\n"
                  "delivery_idle 1h\n")
    with q:
        order = ["ana", "bob", "ana", "cyd", "bob", "ana"]
        for n in order:
            t, f = q.submit("a@remote.test", ["%s@example.org" % n], BODY)
            assert t == OK
        for n in ("ana", "bob", "cyd"):
            wait_delivered(q.users[n], order.count(n))
            if buzontest.IS_ROOT:
                for p in q.users[n].files():
                    assert os.stat(p).st_uid == q.users[n].uid
        assert q.log().count("result=delivered status=0") == len(order)


def fake_agent(workdir, script):
    path = os.path.join(workdir, "fake-maildeliver")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + script)
    os.chmod(path, 0o755)
    return path


def test_agent_that_exits_without_answer(workdir):
    agent = fake_agent(workdir, "echo 'disk on fire' >&2\nexit 3\n")
    q = Mailqueue(workdir, maildeliver=agent)
    with q:
        # The remote recipient keeps the message, and its envelope, queued.
        t, f = q.submit("a@remote.test",
                        ["ana@example.org", "r@remote.test"],
                        BODY)
        q.wait_log("to=<ana@example.org> result=failed status=3 "
                   "reason=\"disk on fire\"")
        assert "error disk on fire" in q.envelope(f["id"])


# Killed, exiting 0 without an answer (no delivery), answering garbage
# (killed by the spawner): each defers its delivery and the spawner goes on.
@pytest.mark.parametrize("script,log", [
    ("kill -9 $$\n", "status=-1 reason=\"maildeliver killed by signal 9\""),
    ("exit 0\n", "status=0 reason=\"maildeliver exited 0\""),
    ("printf 'garbage' >&0\nsleep 60\n",
     "status=-1 reason=\"maildeliver killed by signal 9\""),
], ids=["killed", "exit-0", "garbage"])
def test_agent_failures_are_temporary(workdir, script, log):
    q = Mailqueue(workdir, maildeliver=fake_agent(workdir, script),
                  conf="retry_min 1h\nretry_max 2h\n")
    with q:
        t, f = q.submit("a@remote.test", ["ana@example.org"], BODY)
        q.wait_log("to=<ana@example.org> result=deferred " + log)
        assert "rcpt pending 1" in q.envelope(f["id"])
        if "garbage" in script:
            assert "malformed result from maildeliver" in q.log()
        # The spawner is still there for the next message.
        t, f = q.submit("a@remote.test", ["bob@example.org"], BODY)
        q.wait_log("to=<bob@example.org> result=deferred", count=1)
