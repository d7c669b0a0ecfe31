"""mailqueue over its real socket, with authd and maildeliver: the commit,
the queue directory, deliveries into Maildirs, deferrals with backoff,
permanent failures, restarts and a crash during a stream of messages."""

import os
import re
import signal
import stat
import threading
import time

import pytest

import buzontest
from buzontest import proc_uid, wait_for
from queuewire import (Mailqueue, OK, TEMPFAIL, F_RECEIVED, received_ids,
                       submit_as, wait_delivered)

BODY = b"Subject: test\r\nFrom: <a@remote.test>\r\n\r\nHello.\r\n"
DATE = rb"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}"


def me():
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name


def expect(msg, sender, rcpt, qid, body, user=None, uid=None):
    """The Maildir file, byte for byte, but for the date."""
    user = user or me()
    uid = os.geteuid() if uid is None else uid
    head = ("Return-Path: <%s>\nDelivered-To: %s\n"
            "Received: (from %s uid %d) by mx.example.org (buzon mailqueue) "
            "id %s; " % (sender, rcpt, user, uid, qid)).encode()
    assert msg.startswith(head), msg
    rest = msg[len(head):]
    m = re.match(DATE + rb"\n", rest)
    assert m, rest
    # The queue keeps CR LF; maildeliver writes the Maildir's LF.
    assert rest[m.end():] == body.replace(b"\r\n", b"\n")


@pytest.fixture
def mq(workdir):
    with Mailqueue(workdir) as q:
        yield q


def test_accept_deliver_remove(mq):
    t, f = mq.submit("a@remote.test", ["ana@example.org", "bob",
                                       "Ana@example.org"], BODY)
    assert t == OK, f
    qid = f["id"]
    assert re.fullmatch(r"[0-9A-F]{21}", qid)
    [m] = wait_delivered(mq.users["ana"])
    expect(m, "a@remote.test", "ana@example.org", qid, BODY)
    [m] = wait_delivered(mq.users["bob"])
    expect(m, "a@remote.test", "bob", qid, BODY)
    mq.wait_log("queue id=%s event=removed delivered=2 failed=0" % qid)
    assert mq.queued() == [] and mq.queued("msg") == []
    assert mq.queued("tmp") == []
    log = mq.log()
    with open(mq.users["ana"].files()[0], "rb") as f:
        body = f.read()[len(b"Return-Path: <a@remote.test>\n"
                            b"Delivered-To: ana@example.org\n"):]
    size = len(body) + body.count(b"\n")     # the queue holds CR LF
    assert ("queue id=%s event=accepted size=%d from=<a@remote.test> "
            "nrcpt=2 uid=%d" % (qid, size, os.geteuid())) in log
    assert ("queue id=%s event=delivery to=<ana@example.org> "
            "result=delivered status=0" % qid) in log
    if buzontest.IS_ROOT:
        st = os.stat(mq.users["ana"].files()[0])
        assert st.st_uid == mq.users["ana"].uid
        assert os.stat(mq.users["bob"].files()[0]).st_uid == 2102


def test_null_sender_and_many_messages_per_connection(mq):
    c = mq.connect()
    ids = []
    for i in range(5):
        t, f = c.submit("", ["cyd@mail.example.org"],
                        b"Subject: %d\r\n\r\nx\r\n" % i)
        assert t == OK, f
        ids.append(f["id"])
    c.close()
    msgs = wait_delivered(mq.users["cyd"], 5)
    assert sorted(received_ids(msgs)) == sorted(ids)
    assert all(m.startswith(b"Return-Path: <>\n") for m in msgs)


def test_received_line_trust(mq):
    """A trusted peer (root or the queue's own uid) that sets
    QP_F_RECEIVED keeps its own Received: line; nobody else does."""
    own = b"Received: from client.test by mx.example.org; x\r\n" + BODY
    t, f = mq.submit("a@remote.test", ["ana@example.org"], own, F_RECEIVED)
    assert t == OK
    [m] = wait_delivered(mq.users["ana"])
    assert m == (b"Return-Path: <a@remote.test>\n"
                 b"Delivered-To: ana@example.org\n" +
                 own.replace(b"\r\n", b"\n"))
    if not buzontest.IS_ROOT:
        return
    # uid 4242 has no name: the number stands for it
    t, f = submit_as(mq.sock, 4242, 4242, "a@remote.test", ["bob"], own,
                     F_RECEIVED)
    assert t == OK, f
    [m] = wait_delivered(mq.users["bob"])
    expect(m, "a@remote.test", "bob", f["id"], own, "4242", 4242)
    assert "nrcpt=1 uid=4242" in mq.log()
    t, f = submit_as(mq.sock, 1, 1, "", ["cyd"], BODY)
    [m] = wait_delivered(mq.users["cyd"])
    expect(m, "", "cyd", f["id"], BODY, "daemon", 1)


def test_trusted_users_keyword(workdir):
    if not buzontest.IS_ROOT:
        pytest.skip("needs root to submit as another uid")
    own = b"Received: from client.test; x\r\n" + BODY
    with Mailqueue(workdir, conf="trusted_users 4242 daemon\n") as q:
        t, f = submit_as(q.sock, 1, 1, "", ["ana"], own, F_RECEIVED)
        assert t == OK
        [m] = wait_delivered(q.users["ana"])
        assert m.endswith(b"Delivered-To: ana\n" +
                          own.replace(b"\r\n", b"\n"))


def test_concurrent_submitters(mq):
    ids, errors = [], []
    lock = threading.Lock()

    def worker(n):
        try:
            c = mq.connect()
            for i in range(4):
                t, f = c.submit("w%d@remote.test" % n,
                                ["ana@example.org"],
                                b"Subject: %d/%d\r\n\r\n%s\r\n" %
                                (n, i, b"x" * (n * 100)))
                with lock:
                    (ids if t == OK else errors).append(f)
            c.close()
        except Exception as e:
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = [f["id"] for f in ids]
    assert len(set(ids)) == 160
    msgs = wait_delivered(mq.users["ana"], 160, timeout=60)
    assert sorted(received_ids(msgs)) == sorted(ids)


def insecure(user):
    """A Maildir that maildeliver refuses (exit 75) until repaired."""
    for d in ("", "tmp", "new", "cur"):
        p = os.path.join(user.maildir, d)
        os.makedirs(p, exist_ok=True)
        if buzontest.IS_ROOT:
            os.chown(p, user.uid, user.uid)
        os.chmod(p, 0o700)
    os.chmod(user.maildir, 0o777)


def test_deferred_envelope_then_delivered(workdir):
    q = Mailqueue(workdir, conf="retry_min 2s\nretry_max 30s\n")
    insecure(q.users["ana"])
    with q:
        t, f = q.submit("a@remote.test", ["ana@example.org"], BODY)
        qid = f["id"]
        q.wait_log("to=<ana@example.org> result=deferred status=75")
        # The log line comes first, then the envelope's rewrite.
        wait_for(lambda: "rcpt pending 1 " in q.envelope(qid), 10,
                 "the deferral in the envelope")
        env = q.envelope(qid)
        lines = env.splitlines()
        assert lines[:2] == ["buzon-envelope 1", "id " + qid]
        size = int(lines[3].split()[1])
        assert lines[5] == "uid %d" % os.geteuid()
        assert lines[7] == "sender <a@remote.test>"
        m = re.fullmatch(r"rcpt pending 1 (\d+) <ana@example.org>", lines[8])
        assert m, env
        assert 0 < int(m.group(1)) - int(lines[2].split()[1]) <= 4
        assert lines[9].startswith("error maildeliver: ")
        assert "refusing to deliver" in lines[9]
        assert q.queued("msg") == [qid]
        assert q.queued("tmp") == []
        os.chmod(q.users["ana"].maildir, 0o700)
        [msg] = wait_delivered(q.users["ana"], timeout=20)
        expect(msg, "a@remote.test", "ana@example.org", qid, BODY)
        # The envelope's size is the queued body's: Received: + BODY, CR LF.
        queued = msg.split(b"\n", 2)[2]
        assert size == len(queued) + queued.count(b"\n")
        q.wait_log("queue id=%s event=removed" % qid)


def test_remote_backoff(workdir):
    with Mailqueue(workdir, conf="retry_min 1s\nretry_max 2s\n") as q:
        t, f = q.submit("", ["x@remote.test", "ana"], BODY)
        qid = f["id"]
        wait_delivered(q.users["ana"])
        q.wait_log("to=<x@remote.test> result=deferred status=0 "
                   "reason=\"no remote transport yet\"", count=3, timeout=15)
        env = q.envelope(qid)
        assert "rcpt done 1 0 <ana>\n" in env
        m = re.search(r"rcpt pending (\d+) (\d+) <x@remote.test>\n"
                      r"error no remote transport yet\n", env)
        assert m and int(m.group(1)) >= 2
        assert int(m.group(2)) - time.time() <= 2.5
        t0 = time.time()
        n = q.log().count("x@remote.test> result=deferred")
        time.sleep(2.2)
        assert q.log().count("x@remote.test> result=deferred") <= n + 2
        assert time.time() - t0 < 5


def test_permanent_failures(workdir):
    q = Mailqueue(workdir)
    with q:
        loop = b"Delivered-To: ana@example.org\r\n" + BODY
        t, f = q.submit("a@remote.test",
                        ["nosuch@example.org", "ana@example.org",
                         "r@remote.test"], loop)
        qid = f["id"]
        q.wait_log("to=<nosuch@example.org> result=failed status=67 "
                   "reason=\"no such user: nosuch@example.org\"")
        q.wait_log("to=<ana@example.org> result=failed status=65")
        wait_for(lambda: "rcpt failed 1 0 <ana@example.org>" in
                 q.envelope(qid), 10, "envelope update")
        env = q.envelope(qid)
        assert ("rcpt failed 1 0 <nosuch@example.org>\n"
                "error no such user: nosuch@example.org\n") in env
        assert re.search(r"rcpt failed 1 0 <ana@example.org>\nerror "
                         r"maildeliver: loop", env), env
        assert q.users["ana"].messages() == []
        # all failed: removed, envelope first
        t, f = q.submit("", ["nosuch"], BODY)
        q.wait_log("queue id=%s event=removed delivered=0 failed=1" %
                   f["id"])
        assert f["id"] not in q.queued("msg")


def test_authd_down_is_temporary(workdir):
    q = Mailqueue(workdir, conf="retry_min 1s\nretry_max 1s\n")
    with q:
        q.authd.stop()
        t, f = q.submit("", ["ana@example.org"], BODY)
        q.wait_log("to=<ana@example.org> result=deferred status=75 "
                   "reason=\"cannot reach authd")
        assert "rcpt pending" in q.envelope(f["id"])
        q.authd.start()
        wait_delivered(q.users["ana"])


def test_restart_continues_and_cleans(workdir):
    q = Mailqueue(workdir, conf="retry_min 1h\nretry_max 2h\n")
    insecure(q.users["bob"])
    with q:
        t, f = q.submit("", ["bob@example.org"], BODY)
        qid = f["id"]
        q.wait_log("to=<bob@example.org> result=deferred")
        assert q.stop_queue() == 0
        os.chmod(q.users["bob"].maildir, 0o700)
        # what a crash can leave: tmp files, a body without envelope
        for p in ("tmp/0ABC.msg", "tmp/0ABC.env", "msg/0DEAD"):
            with open(os.path.join(q.qdir, p), "w") as fp:
                fp.write("junk")
        with open(os.path.join(q.qdir, "env", "0BAD"), "w") as fp:
            fp.write("buzon-envelope 1\nid 0BAD\ncreated x\n")
        q.start_queue()
        assert "event=clean tmp_removed=2 msg_removed=1" in q.log()
        assert "queue id=0BAD event=bad-envelope" in q.log()
        # the next attempt is an hour away: SIGHUP runs the queue now
        time.sleep(0.5)
        assert q.users["bob"].messages() == []
        os.kill(q.pid, signal.SIGHUP)
        [m] = wait_delivered(q.users["bob"])
        expect(m, "", "bob@example.org", qid, BODY)
        q.wait_log("queue id=%s event=removed" % qid)
        assert q.queued("tmp") == [] and q.queued("msg") == []
        assert q.queued() == ["0BAD"]
        assert q.stop_queue() == 0


def test_kill9_loses_no_acknowledged_message(workdir):
    q = Mailqueue(workdir, conf="delivery_concurrency 4\n")
    acked, stop = [], threading.Event()
    lock = threading.Lock()

    def stream(n):
        i = 0
        while not stop.is_set():
            try:
                c = q.connect(timeout=5)
                while not stop.is_set():
                    t, f = c.submit("s%d@remote.test" % n, ["ana"],
                                    b"Subject: %d.%d\r\n\r\nx\r\n" % (n, i))
                    i += 1
                    if t == OK:
                        with lock:
                            acked.append(f["id"])
            except Exception:
                time.sleep(0.01)

    def all_there():
        got = set(received_ids(q.users["ana"].messages()))
        return set(acked) <= got
    with q:
        threads = [threading.Thread(target=stream, args=(n,))
                   for n in range(6)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: len(acked) >= 60, 30, "acknowledged messages")
            for pid in [q.pid] + q.children():
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.3)
        finally:
            stop.set()
            for t in threads:
                t.join()
        q.daemon.stop()
        q.daemon = None
        before = len(acked)
        assert before >= 60
        q.start_queue()
        msgs = wait_delivered(q.users["ana"], before, timeout=60)
        wait_for(all_there, 30, "every acknowledged message delivered")
        wait_for(lambda: q.queued() == [], 30, "queue empty")
        assert q.queued("tmp") == []
        assert q.stop_queue() == 0
        assert len(msgs) >= before


def test_queue_directory_state(workdir):
    q = Mailqueue(workdir, conf="retry_min 1h\nretry_max 1h\n")
    with q:
        t, f = q.submit("", ["far@remote.test"], BODY)
        qid = f["id"]
        q.wait_log("to=<far@remote.test> result=deferred")
        assert q.queued() == [qid] and q.queued("msg") == [qid]
        for d in ("", "tmp", "msg", "env"):
            st = os.stat(os.path.join(q.qdir, d))
            assert stat.S_IMODE(st.st_mode) == 0o700
            if buzontest.IS_ROOT:
                assert st.st_uid == 65534
        for p in ("msg/" + qid, "env/" + qid):
            st = os.stat(os.path.join(q.qdir, p))
            assert stat.S_IMODE(st.st_mode) == 0o600
        with open(os.path.join(q.qdir, "msg", qid), "rb") as fp:
            body = fp.read()
        assert body.endswith(b"\r\n" + BODY)
        assert body.startswith(b"Received: (from ")


def test_privileges(workdir):
    if not buzontest.IS_ROOT:
        pytest.skip("needs root: spawner and user changes")
    users = Mailqueue.USERS + (("toor", 0),)
    q = Mailqueue(workdir, users=users)
    with q:
        assert proc_uid(q.pid) == 65534
        kids = q.children()
        assert [proc_uid(p) for p in kids] == [0]     # the spawner
        c = q.connect()
        wait_for(lambda: len(q.children()) == 2, 5, "acceptor child")
        acc = [p for p in q.children() if p not in kids]
        assert proc_uid(acc[0]) == 65534
        t, f = c.submit("", ["toor@example.org", "cyd"], BODY)
        c.close()
        q.wait_log("to=<toor@example.org> result=failed status=77 "
                   "reason=\"refusing to deliver as uid 0")
        [m] = wait_delivered(q.users["cyd"])
        assert os.stat(q.users["cyd"].files()[0]).st_uid == 2103


def test_orphan_acceptor_refuses(workdir):
    """The main process dies alone; an acceptor it left refuses the next
    message with a temporary failure (the new instance would not hear of
    it before its next scan), and a new connection commits it."""
    q = Mailqueue(workdir)
    with q:
        c = q.connect()
        wait_for(lambda: len(q.children()) == 2, 5, "acceptor")
        acceptor = [p for p in q.children() if proc_uid(p) != 0 or
                    not buzontest.IS_ROOT][-1]
        os.kill(q.pid, signal.SIGKILL)
        q.daemon.stop()
        q.daemon = None
        # the spawner exits when its socket closes; the acceptor lives on
        q.start_queue()
        t, f = c.submit("", ["ana"], BODY)
        assert t == TEMPFAIL and f["reason"] == "queue restarting", f
        c.close()
        q.wait_log("event=orphaned result=tempfail")
        wait_for(lambda: not os.path.exists("/proc/%d/status" % acceptor) or
                 "State:\tZ" in open("/proc/%d/status" % acceptor).read(),
                 10, "the orphan acceptor to exit")
        t, f = q.submit("", ["ana"], BODY)
        assert t == OK, f
        [m] = wait_delivered(q.users["ana"])
        expect(m, "", "ana", f["id"], BODY)
        assert q.stop_queue() == 0


def test_many_recipients_full_concurrency(workdir):
    """600 local recipients at 256 deliveries at once: every one gets its
    result (the spawner's socket may fill up and drain)."""
    with Mailqueue(workdir, conf="delivery_concurrency 256\n") as q:
        rcpts = ["ana", "bob@example.org"] + \
            ["nobody%d@example.org" % i for i in range(598)]
        t, f = q.submit("", rcpts, BODY)
        assert t == OK
        q.wait_log("queue id=%s event=removed delivered=2 failed=598" %
                   f["id"], timeout=90)
        assert q.log().count("result=failed status=67") == 598
        wait_delivered(q.users["ana"])
        wait_delivered(q.users["bob"])


def test_finished_files_are_reused(mq):
    """A finished message's files go to spare/, and the next message is
    written over those same inodes and cut to its length, not new ones."""
    big = BODY + b"x" * 100000 + b"\r\n"
    t, f = mq.submit("a@remote.test", ["ana"], big)
    assert t == OK
    mq.wait_log("queue id=%s event=removed" % f["id"])
    spare = os.path.join(mq.qdir, "spare")
    names = sorted(os.listdir(spare))
    assert names == sorted(["e." + f["id"], "m." + f["id"]])
    inodes = {os.stat(os.path.join(spare, n)).st_ino for n in names}
    t, g = mq.submit("a@remote.test", ["bob"], BODY)
    assert t == OK
    mq.wait_log("queue id=%s event=removed" % g["id"])
    [m] = wait_delivered(mq.users["bob"])
    expect(m, "a@remote.test", "bob", g["id"], BODY)
    names = sorted(os.listdir(spare))
    assert names == sorted(["e." + g["id"], "m." + g["id"]])
    assert {os.stat(os.path.join(spare, n)).st_ino for n in names} == inodes
