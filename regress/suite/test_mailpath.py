"""The mail path end to end: submission with STARTTLS and AUTH through
smtpd-lite, mailqueue, the spawner and maildeliver into a Maildir, read
back over POP3S; many concurrent sessions, a mailqueue killed with
SIGKILL in the middle, the roles' users and chroots, and `make demo`."""

import os
import poplib
import pwd
import re
import shutil
import signal
import smtplib
import subprocess
import tempfile
import threading
import time

import pytest

import buzontest
from buzontest import children, proc_uid
from suitefix import Suite, free_base


@pytest.fixture(scope="module")
def suite():
    d = tempfile.mkdtemp(prefix="buzon-suite-")
    os.chmod(d, 0o755)
    s = Suite(d)
    try:
        yield s.start_all()
    finally:
        s.stop_all()
        shutil.rmtree(d, ignore_errors=True)


def wait_count(suite, n, timeout=120):
    buzontest.wait_for(lambda: suite.count_new() >= n, timeout,
                       "%d messages in the Maildir" % n)


BODY = (b"Subject: end to end\r\n"
        b"From: demo@localhost\r\n"
        b"To: demo@localhost\r\n"
        b"\r\n"
        b"first line\r\n"
        b".a line that starts with a dot\r\n"
        b"..two dots\r\n"
        b"\r\n"
        b"8bit: \xc3\xb1and\xc3\xba\r\n"
        b"trailing spaces   \r\n"
        b"last line\r\n")


def test_submission_to_pop3s(suite):
    before = suite.count_new()
    with smtplib.SMTP("localhost", suite.port["submission"],
                      timeout=30) as s:
        s.starttls(context=suite.tls())
        s.login("demo", suite.password)
        code, _ = s.mail("demo@localhost", ["BODY=8BITMIME"])
        assert code == 250
        assert s.rcpt("demo@localhost")[0] == 250
        code, reply = s.data(BODY)
        assert code == 250
        qid = re.search(rb"queued as (\S+)", reply).group(1).decode()
    wait_count(suite, before + 1)
    on_disk = [m for m in suite.messages() if b"subject: end to end"
               in m.lower()]
    assert len(on_disk) == 1
    m = on_disk[0]
    # maildeliver's lines, smtpd-lite's Received:, then the message, with
    # the LF line ends of a Maildir.
    assert m.startswith(b"Return-Path: <demo@localhost>\n"
                        b"Delivered-To: demo@localhost\n"
                        b"Received: from ")
    received = m[:m.index(b"\nSubject: ")]
    assert b"by localhost" in received and b"ESMTPSA" in received
    assert b"\r" not in m
    assert m.endswith(BODY.replace(b"\r\n", b"\n"))
    assert qid in suite.log("smtpd-lite")

    p = poplib.POP3_SSL("localhost", suite.port["pop3s"],
                        context=suite.tls(), timeout=30)
    try:
        p.user("demo")
        p.pass_(suite.password)
        n = p.stat()[0]
        got = None
        for i in range(1, n + 1):
            lines = p.retr(i)[1]
            if b"Subject: end to end" in lines:
                got = lines
        assert got is not None
        # poplib strips CRLF and undoes the dot-stuffing.
        body_lines = BODY.split(b"\r\n\r\n", 1)[1].split(b"\r\n")[:-1]
        assert got[-len(body_lines):] == body_lines
    finally:
        p.quit()


def send_one(port, token, rcpt="demo@localhost"):
    """One message in its own session; True when answered 250."""
    msg = ("Subject: load %s\r\nMessage-ID: <%s@test>\r\n\r\nbody %s\r\n" %
           (token, token, token))
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
            s.sendmail("load@example.org", [rcpt], msg)
        return True
    except (smtplib.SMTPException, OSError):
        return False


def run_load(suite, sessions, per_session, tag, during=None):
    """sessions threads, each one SMTP session sending per_session
    messages (a refused one ends the session and a new one goes on).
    Returns the tokens acknowledged with 250."""
    acked, lock = [], threading.Lock()

    def client(c):
        i = 0
        while i < per_session:
            try:
                with smtplib.SMTP("127.0.0.1", suite.port["smtp"],
                                  timeout=60) as s:
                    while i < per_session:
                        token = "%s-%d-%d" % (tag, c, i)
                        s.sendmail("load@example.org", ["demo@localhost"],
                                   "Subject: load %s\r\n\r\nbody %s\r\n" %
                                   (token, token))
                        with lock:
                            acked.append(token)
                        i += 1
            except (smtplib.SMTPException, OSError):
                time.sleep(0.05)
                i += 1		# that one was refused: not acknowledged

    threads = [threading.Thread(target=client, args=(c,))
               for c in range(sessions)]
    for t in threads:
        t.start()
    if during is not None:
        during(acked)
    for t in threads:
        t.join(600)
    return acked


def tokens_in_maildir(suite, tag):
    found = {}
    for m in suite.messages():
        for t in re.findall(rb"Subject: load (%s-\d+-\d+)" % tag.encode(),
                            m):
            found[t.decode()] = found.get(t.decode(), 0) + 1
    return found


def test_concurrent_sessions_exactly_once(suite):
    before = suite.count_new()
    acked = run_load(suite, 100, 20, "c")
    assert len(acked) == 2000
    wait_count(suite, before + len(acked), timeout=300)
    found = tokens_in_maildir(suite, "c")
    assert sorted(found) == sorted(acked)
    assert set(found.values()) == {1}


def test_kill_mailqueue_loses_nothing_acknowledged(suite):
    def killer(acked):
        buzontest.wait_for(lambda: len(acked) >= 300, 120, "300 acks")
        suite.procs["mailqueue"].send_signal(signal.SIGKILL)
        suite.procs["mailqueue"].wait()
        time.sleep(0.5)
        suite.restart("mailqueue")

    acked = run_load(suite, 50, 20, "k", during=killer)
    assert len(acked) > 300
    buzontest.wait_for(
        lambda: set(tokens_in_maildir(suite, "k")) >= set(acked), 300,
        "every acknowledged message")


def can_open_as(uid, gid, path):
    """Whether uid/gid may list or read path."""
    r = subprocess.run(
        ["python3", "-c", "import os,sys\np=sys.argv[1]\n"
         "os.listdir(p) if os.path.isdir(p) else open(p).close()", path],
        preexec_fn=lambda: (os.setgroups([]), os.setgid(gid), os.setuid(uid)),
        capture_output=True)
    return r.returncode == 0


@pytest.mark.skipif(not buzontest.IS_ROOT, reason="needs root: the drop "
                    "to each role's user happens only then")
def test_roles_users_and_chroots(suite):
    uid = {n: pwd.getpwnam(n).pw_uid for n in
           ("_authd", "_mailq", "_smtplite", "_pop3sd", "_vmail")}
    assert proc_uid(suite.procs["authd"].pid) == uid["_authd"]
    mq = suite.procs["mailqueue"].pid
    assert proc_uid(mq) == uid["_mailq"]
    assert 0 in [proc_uid(c) for c in children(mq)]      # the spawner
    assert proc_uid(suite.procs["smtpd-lite"].pid) == 0
    smtp = smtplib.SMTP("127.0.0.1", suite.port["smtp"], timeout=30)
    try:
        smtp.ehlo()
        kids = children(suite.procs["smtpd-lite"].pid)
        assert kids
        for k in kids:
            assert proc_uid(k) == uid["_smtplite"]
            assert os.readlink("/proc/%d/root" % k) == suite.path("empty")
        sess = pwd.getpwnam("_smtplite")
        assert not can_open_as(sess.pw_uid, sess.pw_gid, suite.path("queue"))
        assert not can_open_as(sess.pw_uid, sess.pw_gid, suite.maildir())
    finally:
        smtp.quit()
    p = poplib.POP3_SSL("localhost", suite.port["pop3s"],
                        context=suite.tls(), timeout=30)
    try:
        p.user("demo")
        p.pass_(suite.password)
        procs = []
        todo = children(suite.procs["pop3sd"].pid)
        while todo:
            k = todo.pop()
            procs.append(k)
            todo += children(k)
        uids = {k: proc_uid(k) for k in procs}
        assert uid["_pop3sd"] in uids.values()
        assert uid["_vmail"] in uids.values()
        for k, u in uids.items():
            if u == uid["_pop3sd"]:
                assert os.readlink("/proc/%d/root" % k) == \
                    suite.path("empty")
    finally:
        p.quit()


def test_make_demo_one_shot(workdir):
    demodir = os.path.join(workdir, "demo")
    env = dict(os.environ, DEMO_DIR=demodir,
               DEMO_PORT=str(free_base()), DEMO_ONESHOT="1")
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env.pop(k, None)
    r = subprocess.run(["make", "demo"], cwd=buzontest.ROOT, env=env,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "Subject: Welcome to buzon" in r.stdout
    # The same message over IMAPS: its header fields, indented.
    assert "IMAPS (port" in r.stdout
    assert "    Subject: Welcome to buzon" in r.stdout
    assert "demo: stopped" in r.stdout
    with open(os.path.join(demodir, "password")) as f:
        assert f.read().strip() in r.stdout


def test_make_demo_detached_reused_and_stopped(workdir):
    """DEMO_DETACH=1 returns with the suite running; a second run reuses
    the directory (same password, the first welcome message kept), and
    `make demo-stop` ends every daemon."""
    demodir = os.path.join(workdir, "demo")
    base = free_base()
    env = dict(os.environ, DEMO_DIR=demodir, DEMO_PORT=str(base),
               DEMO_DETACH="1", DEMO_USERS="2")
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env.pop(k, None)

    def make(target):
        r = subprocess.run(["make", target], cwd=buzontest.ROOT, env=env,
                           capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        return r.stdout

    def pids():
        out = {}
        for name in ("authd", "mailqueue", "smtpd-lite", "pop3sd",
                     "imapsd"):
            with open(os.path.join(demodir, "run", name + ".pid")) as f:
                out[name] = int(f.read())
        return out

    second = {}
    try:
        make("demo")
        first = pids()
        for pid in first.values():
            assert os.path.exists("/proc/%d" % pid)
        with open(os.path.join(demodir, "password")) as f:
            password = f.read()
        out = make("demo")             # stops the first, reuses the rest
        with open(os.path.join(demodir, "password")) as f:
            assert f.read() == password
        assert "POP3S (port %d): 2 message(s)" % (base + 995) in out
        assert "IMAPS (port %d): 2 message(s) in INBOX" % (base + 993) in out
        for pid in first.values():
            assert not os.path.exists("/proc/%d" % pid) or \
                "State:\tZ" in open("/proc/%d/status" % pid).read()
        for u in ("demo1", "demo2"):
            assert os.path.isdir(os.path.join(demodir, "mail", u, "Maildir"))
        second = pids()
    finally:
        stopped = make("demo-stop")
    assert "stopped 5 daemon(s)" in stopped
    for pid in second.values():
        buzontest.wait_for(
            lambda: not os.path.exists("/proc/%d" % pid) or
            "State:\tZ" in open("/proc/%d/status" % pid).read(), 15,
            "daemon %d to stop" % pid)
