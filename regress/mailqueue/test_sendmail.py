"""sendmail(8) and mailq(1) against a running mailqueue: options, header
completion, -t, dots, line endings, -bs, -bp, exit statuses."""

import os
import pwd
import re
import subprocess

import pytest

import buzontest
from queuewire import Mailqueue, wait_delivered

DATE = rb"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}"


@pytest.fixture
def mq(workdir):
    with Mailqueue(workdir, conf="retry_min 1h\nretry_max 1h\n") as q:
        yield q


def sendmail(q, args, data=b"", argv0=None, as_daemon=False, conf=None):
    env = dict(os.environ, BUZON_MAILQUEUE_CONF=conf or q.conf)
    pre = None
    if as_daemon:
        def pre():
            os.setgroups([])
            os.setgid(1)
            os.setuid(1)
    path = buzontest.binary("sendmail")
    argv = [path] + args
    if argv0:
        link = os.path.join(q.dir, argv0)
        if not os.path.exists(link):
            os.symlink(path, link)
        argv = [link] + args
    return subprocess.run(argv, input=data, capture_output=True, env=env,
                          preexec_fn=pre, timeout=60)


def user_name():
    return pwd.getpwuid(os.geteuid()).pw_name


def split(msg):
    """(Received line, rest) of a delivered message (LF line ends, as
    maildeliver writes a Maildir)."""
    head, _, rest = msg.partition(b"\n")
    assert head.startswith(b"Return-Path: ")
    head2, _, rest = rest.partition(b"\n")
    assert head2.startswith(b"Delivered-To: ")
    recv, _, rest = rest.partition(b"\n")
    return recv, rest


def test_plain_message_completed(mq):
    r = sendmail(mq, ["ana@example.org"],
                 b"Subject: hi\nTo: ana@example.org\n\nline 1\nline 2\r\n"
                 b"bare\rcr\n")
    assert r.returncode == 0, r.stderr
    [m] = wait_delivered(mq.users["ana"])
    recv, rest = split(m)
    assert re.fullmatch(rb"Received: \(from %s uid %d\) by mx.example.org "
                        rb"\(buzon mailqueue\) id [0-9A-F]+; " % (
                            user_name().encode(), os.geteuid()) + DATE, recv)
    sender = "%s@mx.example.org" % user_name()
    assert m.startswith(b"Return-Path: <%s>\n" % sender.encode())
    hdr, _, body = rest.partition(b"\n\n")
    lines = hdr.split(b"\n")
    assert lines[:3] == [b"Subject: hi", b"To: ana@example.org",
                         b"From: " + sender.encode()]
    assert re.fullmatch(b"Date: " + DATE, lines[3])
    assert re.fullmatch(rb"Message-ID: <\d+\.[0-9a-f]{8}@mx.example.org>",
                        lines[4])
    assert len(lines) == 5
    # the queue holds CR LF, the Maildir LF; a lone CR is kept throughout
    assert body == b"line 1\nline 2\nbare\rcr\n"


def test_header_kept_when_present(mq):
    msg = (b"From: Someone <s@remote.test>\nDate: Mon, 1 Jan 2024 00:00:00 "
           b"+0000\nMessage-ID: <x@y>\nSubject: s\n\nbody\n")
    r = sendmail(mq, ["-f", "<bounce@remote.test>", "bob"], msg)
    assert r.returncode == 0, r.stderr
    [m] = wait_delivered(mq.users["bob"])
    assert m.startswith(b"Return-Path: <bounce@remote.test>\n")
    assert split(m)[1] == msg


def test_no_header_at_all(mq):
    r = sendmail(mq, ["-F", "Ana Lima", "-f", "ana@example.org", "cyd"],
                 b"just a body line\n")
    assert r.returncode == 0, r.stderr
    [m] = wait_delivered(mq.users["cyd"])
    rest = split(m)[1]
    assert rest.startswith(b'From: "Ana Lima" <ana@example.org>\nDate: ')
    assert rest.endswith(b">\n\njust a body line\n")


def test_dot_ends_input_unless_i(mq):
    r = sendmail(mq, ["ana"], b"Subject: a\n\nbefore\n.\nafter\n")
    assert r.returncode == 0
    r = sendmail(mq, ["-i", "bob"], b"Subject: b\n\nbefore\n.\nafter\n")
    assert r.returncode == 0
    r = sendmail(mq, ["-oi", "cyd"], b"Subject: c\n\n.\n..\nend")
    assert r.returncode == 0
    [a] = wait_delivered(mq.users["ana"])
    assert a.endswith(b"\n\nbefore\n")
    [b] = wait_delivered(mq.users["bob"])
    assert b.endswith(b"\n\nbefore\n.\nafter\n")
    [c] = wait_delivered(mq.users["cyd"])
    assert c.endswith(b"\n\n.\n..\nend\n")


def test_t_reads_recipients_and_drops_bcc(mq):
    msg = (b"To: Ana <ana@example.org>, \"Lima, B.\" <bob@example.org>\n"
           b"Cc: (comment) far@remote.test,\n  team: cyd@example.org;\n"
           b"Bcc: hidden@example.org\nSubject: t\n\nbody\n")
    r = sendmail(mq, ["-t", "-odi", "-oem", "extra@remote.test"], msg)
    assert r.returncode == 0, r.stderr
    for u in ("ana", "bob", "cyd"):
        [m] = wait_delivered(mq.users[u])
        assert b"Bcc" not in m and b"hidden" not in m
    mq.wait_log("to=<hidden@example.org> result=failed status=67")
    log = mq.log()
    assert "to=<far@remote.test> result=deferred" in log
    assert "to=<extra@remote.test> result=deferred" in log
    assert "nrcpt=6" in log


def test_untrusted_user_recorded(mq):
    if not buzontest.IS_ROOT:
        pytest.skip("needs root to run sendmail as another user")
    r = sendmail(mq, ["ana"], b"Subject: d\n\nx\n", as_daemon=True)
    assert r.returncode == 0, r.stderr
    [m] = wait_delivered(mq.users["ana"])
    assert m.startswith(b"Return-Path: <daemon@mx.example.org>\n")
    assert b"Received: (from daemon uid 1) by mx.example.org" in m


def test_bs_dialogue(mq):
    dialogue = (b"EHLO client\r\nMAIL FROM:<s@remote.test> SIZE=10\r\n"
                b"DATA\r\nRCPT TO:<ana@example.org>\r\n"
                b"RCPT TO:<bob>\r\nDATA\r\nSubject: bs\r\n\r\n..lead\r\n"
                b".\r\nRSET\r\nBOGUS\r\nVRFY x\r\nNOOP\r\nQUIT\r\n")
    r = sendmail(mq, ["-bs"], dialogue)
    assert r.returncode == 0
    codes = [line[:3] for line in r.stdout.split(b"\r\n") if line and
             line[3:4] == b" "]
    assert codes == [b"220", b"250", b"250", b"503", b"250", b"250", b"354",
                     b"250", b"250", b"500", b"252", b"250", b"221"], \
        r.stdout
    qid = re.search(rb"250 2.0.0 Ok: queued as ([0-9A-F]+)", r.stdout)
    [m] = wait_delivered(mq.users["bob"])
    assert m.startswith(b"Return-Path: <s@remote.test>\n")
    assert b"id " + qid.group(1) + b";" in m
    assert m.endswith(b"\n\n.lead\n")


def test_mailq_listing(mq):
    r = sendmail(mq, [], argv0="mailq")
    assert (r.returncode, r.stdout) == (0, b"Mail queue is empty\n")
    r = sendmail(mq, ["-f", "", "far@remote.test", "ana"], b"Subject: q\n\n")
    assert r.returncode == 0
    mq.wait_log("to=<far@remote.test> result=deferred")
    wait_delivered(mq.users["ana"])
    [qid] = mq.queued()
    r = sendmail(mq, ["-bp"])
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    lines = out.splitlines()
    assert lines[0].split() == ["Queue", "ID", "Size", "Age", "Sender"]
    size = os.path.getsize(os.path.join(mq.qdir, "msg", qid))
    assert re.fullmatch(r"%s +%d +\d+s  <>" % (qid, size), lines[1])
    assert "    pending  <far@remote.test> (no remote transport yet)" in out
    assert out.endswith("\n-- 1 message in the queue\n")
    # The same listing as mailq, but for the age, which may have grown.
    def ageless(out):
        return re.sub(rb" \d+s  <", b" Ns  <", out)
    assert ageless(sendmail(mq, [], argv0="mailq").stdout) == \
        ageless(r.stdout)


def test_exit_statuses(mq, workdir):
    r = sendmail(mq, [], b"Subject: x\n\n")
    assert r.returncode == 64 and b"no recipients" in r.stderr
    r = sendmail(mq, ["-bd"])
    assert r.returncode == 64
    big = b"Subject: big\n\n" + b"x" * (36 * 1024 * 1024)
    r = sendmail(mq, ["ana"], big)
    assert r.returncode == 65 and b"message too big" in r.stderr
    mq.stop_queue()
    r = sendmail(mq, ["ana"], b"Subject: x\n\n")
    assert r.returncode == 75
    assert b"cannot reach the mail queue" in r.stderr
    r = sendmail(mq, ["-bp"])
    assert r.returncode == 75
    bad = os.path.join(workdir, "bad.conf")
    with open(bad, "w") as f:
        f.write("bogus yes\n")
    r = sendmail(mq, ["ana"], b"x\n", conf=bad)
    assert r.returncode == 78

