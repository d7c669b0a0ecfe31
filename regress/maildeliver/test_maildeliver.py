"""maildeliver(8): what lands in the Maildir, byte for byte, and the exit
status for every outcome the man page names."""

import os
import re
import socket
import stat
import subprocess
import time

import pytest

import buzontest
from buzontest import binary

EX_USAGE = 64
EX_DATAERR = 65
EX_TEMPFAIL = 75

SENDER = "bob@example.com"
RCPT = "ana@example.org"
MSG = (b"From: Bob <bob@example.com>\r\n"
       b"To: ana@example.org\n"
       b"Subject: test\n"
       b"X-Long: " + b"x" * 3000 + b"\n"
       b"\tfolded continuation\n"
       b"\n"
       b"body line\n"
       b"Delivered-To: ana@example.org\n"
       b"binary \x00\x01\xff bytes\r\n"
       b"a lone\rCR stays\r\r\n"
       b"last line without newline")

NAME_RE = re.compile(r"^\d+\.M\d+P\d+Q\d+R[0-9a-f]+\.[^/:]+,S=(\d+)$")


def env(**extra):
    """A minimal environment, as an MTA builds it, plus the sanitizers'."""
    e = {k: v for k, v in os.environ.items()
         if k.startswith(("ASAN_", "UBSAN_", "LSAN_"))}
    e["PATH"] = "/usr/bin:/bin"
    e.update(extra)
    return e


def deliver(args, data, environ=None, timeout=60):
    return subprocess.run([binary("maildeliver")] + args, input=data,
                          env=environ if environ is not None else env(),
                          capture_output=True, timeout=timeout)


def make_maildir(path):
    r = subprocess.run([binary("maildirmake"), path], capture_output=True)
    assert r.returncode == 0, r.stderr
    return path


def listing(md, sub="new"):
    return sorted(os.listdir(os.path.join(md, sub)))


def top(sender, rcpt):
    return ("Return-Path: <%s>\nDelivered-To: %s\n" % (sender, rcpt)).encode()


def only_message(md, sub="new"):
    """The one delivered file: checks its name and ,S= and returns bytes."""
    names = listing(md, sub)
    assert len(names) == 1, names
    assert listing(md, "tmp") == []
    m = NAME_RE.match(names[0])
    assert m, names[0]
    path = os.path.join(md, sub, names[0])
    with open(path, "rb") as f:
        data = f.read()
    assert int(m.group(1)) == len(data) == os.path.getsize(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    return data


def assert_nothing_delivered(md):
    for sub in ("new", "cur", "tmp"):
        assert listing(md, sub) == [], sub


def test_byte_exact_with_added_headers(workdir):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    r = deliver(["-d", md, "-f", SENDER, "-r", RCPT], MSG)
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""
    # CR LF becomes LF (a Maildir holds LF line ends); a lone CR stays.
    assert only_message(md) == top(SENDER, RCPT) + MSG.replace(b"\r\n",
                                                                b"\n")
    assert listing(md, "cur") == []


def deliver_rss(args, path):
    """Runs maildeliver with stdin from a file; returns (status, KiB)."""
    with open(path, "rb") as f:
        p = subprocess.Popen([binary("maildeliver")] + args, stdin=f,
                             env=env())
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, usage.ru_maxrss


def test_crlf_split_across_reads(workdir):
    """A CR LF whose CR ends one 64 KiB read and whose LF starts the next
    still becomes LF; so does one at the very end."""
    md = make_maildir(os.path.join(workdir, "Maildir"))
    head = b"Subject: c\r\n\r\n"
    data = head + b"y" * (65535 - len(head)) + b"\r\ntail\r"
    path = os.path.join(workdir, "msg")
    with open(path, "wb") as f:
        f.write(data)
    with open(path, "rb") as f:
        r = subprocess.run([binary("maildeliver"), "-d", md, "-f", SENDER,
                            "-r", RCPT], stdin=f, env=env(),
                           capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert only_message(md) == top(SENDER, RCPT) + b"Subject: c\n\n" + \
        b"y" * (65535 - len(head)) + b"\ntail\r"


def test_large_message_streamed(workdir):
    """A 24 MiB message arrives whole, and memory does not grow with it."""
    md = make_maildir(os.path.join(workdir, "Maildir"))
    small, big = os.path.join(workdir, "small"), os.path.join(workdir, "big")
    with open(small, "wb") as f:
        f.write(b"Subject: s\n\nx\n")
    line = b"0123456789abcdef" * 64 + b"\n"
    with open(big, "wb") as f:
        f.write(b"Subject: big\n\n" + line * 24000)
    args = ["-d", md, "-f", SENDER, "-r", RCPT]
    rc, rss_small = deliver_rss(args, small)
    assert rc == 0
    for name in listing(md):
        os.unlink(os.path.join(md, "new", name))
    rc, rss_big = deliver_rss(args, big)
    assert rc == 0
    with open(big, "rb") as f:
        assert only_message(md) == top(SENDER, RCPT) + f.read()
    assert rss_big - rss_small < 8 * 1024, (rss_small, rss_big)


def test_200_parallel_deliveries(workdir):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    procs = []
    for i in range(200):
        p = subprocess.Popen([binary("maildeliver"), "-d", md, "-f", SENDER,
                              "-r", RCPT], stdin=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env())
        procs.append(p)
    for i, p in enumerate(procs):
        _, err = p.communicate(b"Subject: %d\n\nmessage %d\n" % (i, i),
                               timeout=120)
        assert p.returncode == 0, err
    names = listing(md)
    assert len(names) == 200 and len(set(names)) == 200
    assert listing(md, "tmp") == []
    seen = set()
    for name in names:
        m = NAME_RE.match(name)
        assert m, name
        with open(os.path.join(md, "new", name), "rb") as f:
            data = f.read()
        assert int(m.group(1)) == len(data)
        n = int(re.search(rb"message (\d+)\n$", data).group(1))
        assert data == top(SENDER, RCPT) + b"Subject: %d\n\nmessage %d\n" % (
            n, n)
        seen.add(n)
    assert seen == set(range(200))


@pytest.mark.parametrize("line", [
    b"Delivered-To: ana@example.org\n",
    b"delivered-to:   ANA@Example.ORG  \r\n",
    b"DELIVERED-TO:\tana@example.org",
])
def test_loop_refused(workdir, line):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    msg = b"Received: by x\n" + line + b"\nSubject: hi\n\nbody\n"
    if not line.endswith(b"\n"):
        msg = b"Subject: hi\n" + line
    r = deliver(["-d", md, "-f", SENDER, "-r", RCPT], msg)
    assert r.returncode == EX_DATAERR, r.stderr
    assert b"maildeliver: loop" in r.stderr
    assert_nothing_delivered(md)


def test_other_delivered_to_is_no_loop(workdir):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    msg = (b"Delivered-To: ana@example.org.evil\n"
           b"Delivered-To: other@example.org\n\n"
           b"Delivered-To: ana@example.org\n")
    r = deliver(["-d", md, "-f", SENDER, "-r", RCPT], msg)
    assert r.returncode == 0, r.stderr
    assert only_message(md) == top(SENDER, RCPT) + msg


@pytest.mark.parametrize("folder", [".Spam", ".Lists.buzon"])
def test_folder_created_on_demand(workdir, folder):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    r = deliver(["-d", md, "-m", folder, "-f", SENDER, "-r", RCPT],
                b"Subject: spam\n\nbuy\n")
    assert r.returncode == 0, r.stderr
    fd = os.path.join(md, folder)
    assert os.path.isfile(os.path.join(fd, "maildirfolder"))
    for sub in ("tmp", "new", "cur"):
        st = os.stat(os.path.join(fd, sub))
        assert stat.S_IMODE(st.st_mode) == 0o700
    assert only_message(fd) == top(SENDER, RCPT) + b"Subject: spam\n\nbuy\n"
    assert_nothing_delivered(md)
    # A second delivery reuses the folder.
    r = deliver(["-d", md, "-m", folder, "-f", SENDER, "-r", RCPT], b"x\n")
    assert r.returncode == 0, r.stderr
    assert len(listing(fd)) == 2


@pytest.mark.parametrize("folder", ["../x", ".a/b", "..", ".a..b", ".",
                                    "Spam", ".a.", ".a\nb", ""])
def test_bad_folder_refused(workdir, folder):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    r = deliver(["-d", md, "-m", folder, "-f", SENDER, "-r", RCPT], b"x\n")
    assert r.returncode == EX_USAGE, r.stderr
    assert b"bad folder name" in r.stderr
    assert sorted(os.listdir(md)) == ["cur", "new", "tmp"]
    assert os.listdir(workdir) == ["Maildir"]
    assert_nothing_delivered(md)


def test_environment_sender_and_recipient(workdir):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    e = env(SENDER="env-sender@example.net", RECIPIENT="env-rcpt@example.net")
    r = deliver(["-d", md], b"x\n", e)
    assert r.returncode == 0, r.stderr
    assert only_message(md) == top("env-sender@example.net",
                                   "env-rcpt@example.net") + b"x\n"


def test_options_override_environment(workdir):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    e = env(SENDER="env-sender@example.net", RECIPIENT="env-rcpt@example.net")
    r = deliver(["-d", md, "-f", "<opt@example.com>", "-r", RCPT], b"x\n", e)
    assert r.returncode == 0, r.stderr
    assert only_message(md) == top("opt@example.com", RCPT) + b"x\n"


def test_empty_sender_is_null_path(workdir):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    r = deliver(["-d", md, "-r", RCPT], b"x\n", env(SENDER=""))
    assert r.returncode == 0, r.stderr
    assert only_message(md) == top("", RCPT) + b"x\n"


@pytest.mark.parametrize("args,environ,want", [
    ([], {}, "mbox@example.com"),
    (["-f", SENDER], {}, SENDER),
    ([], {"SENDER": "env@example.net"}, "env@example.net"),
])
def test_mbox_from_line_dropped(workdir, args, environ, want):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    msg = b"From mbox@example.com Thu Nov 21 06:11:00 2024\nSubject: s\n\nb\n"
    r = deliver(["-d", md, "-r", RCPT] + args, msg, env(**environ))
    assert r.returncode == 0, r.stderr
    assert only_message(md) == top(want, RCPT) + b"Subject: s\n\nb\n"


def test_mbox_mailer_daemon_is_null_path(workdir):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    msg = b"From MAILER-DAEMON Thu Nov 21 06:11:00 2024\nSubject: bounce\n\n"
    r = deliver(["-d", md, "-r", RCPT], msg)
    assert r.returncode == 0, r.stderr
    assert only_message(md) == top("", RCPT) + b"Subject: bounce\n\n"


@pytest.mark.parametrize("args", [
    ["-f", "a@b\nX-Injected: yes"], ["-r", "a@b\rc"], ["-r", ""],
    ["-r", "a" * 300 + "@example.org"], ["-x"], ["extra"], ["-t", "0"],
    ["-t", "abc"], ["-t", "999999"],
])
def test_usage_errors(workdir, args):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    r = deliver(["-d", md, "-f", SENDER, "-r", RCPT] + args, b"x\n")
    assert r.returncode == EX_USAGE, r.stderr
    assert_nothing_delivered(md)


def test_no_arguments_uses_home(workdir):
    """The ~/.forward case: HOME exists, Maildir does not yet."""
    home = os.path.join(workdir, "home")
    os.mkdir(home, 0o755)
    r = deliver([], b"Subject: fwd\n\nhello\n",
                env(HOME=home, USER="ana", LOGNAME="ignored"))
    assert r.returncode == 0, r.stderr
    md = os.path.join(home, "Maildir")
    for d in (md, os.path.join(md, "new")):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    rcpt = "ana@" + socket.gethostname()
    assert only_message(md) == top("", rcpt) + b"Subject: fwd\n\nhello\n"


def test_no_arguments_logname_and_sender(workdir):
    home = os.path.join(workdir, "home")
    os.mkdir(home, 0o755)
    r = deliver([], b"x\n", env(HOME=home, LOGNAME="luis", SENDER=SENDER))
    assert r.returncode == 0, r.stderr
    md = os.path.join(home, "Maildir")
    rcpt = "luis@" + socket.gethostname()
    assert only_message(md) == top(SENDER, rcpt) + b"x\n"


@pytest.mark.parametrize("home", [None, "", "/nonexistent/buzon/home"])
def test_missing_home_is_temporary(workdir, home):
    e = env(USER="ana")
    if home is not None:
        e["HOME"] = home
    r = deliver([], b"x\n", e)
    assert r.returncode == EX_TEMPFAIL, r.stderr
    assert r.stderr.startswith(b"maildeliver: ")
    assert not os.path.exists("/nonexistent/buzon")


def test_missing_parent_of_explicit_maildir(workdir):
    md = os.path.join(workdir, "notmounted", "Maildir")
    r = deliver(["-d", md, "-f", SENDER, "-r", RCPT], b"x\n")
    assert r.returncode == EX_TEMPFAIL, r.stderr
    assert not os.path.exists(os.path.dirname(md))


def test_not_a_maildir_is_temporary(workdir):
    d = os.path.join(workdir, "plain")
    os.mkdir(d, 0o700)
    r = deliver(["-d", d, "-f", SENDER, "-r", RCPT], b"x\n")
    assert r.returncode == EX_TEMPFAIL, r.stderr
    assert os.listdir(d) == []


@pytest.mark.parametrize("target,mode", [
    ("", 0o777), ("", 0o770), ("new", 0o722), ("tmp", 0o707)])
def test_writable_maildir_refused(workdir, target, mode):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    os.chmod(os.path.join(md, target), mode)
    r = deliver(["-d", md, "-f", SENDER, "-r", RCPT], b"x\n")
    assert r.returncode == EX_TEMPFAIL, r.stderr
    assert b"refusing to deliver" in r.stderr and b"writable" in r.stderr
    assert_nothing_delivered(md)


def test_writable_folder_refused(workdir):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    r = subprocess.run([binary("maildirmake"), "-f", "Spam", md])
    assert r.returncode == 0
    os.chmod(os.path.join(md, ".Spam"), 0o757)
    r = deliver(["-d", md, "-m", ".Spam", "-f", SENDER, "-r", RCPT], b"x\n")
    assert r.returncode == EX_TEMPFAIL, r.stderr
    assert b"writable" in r.stderr
    assert_nothing_delivered(os.path.join(md, ".Spam"))


def test_writable_parent_refused(workdir):
    parent = os.path.join(workdir, "shared")
    os.mkdir(parent)
    os.chmod(parent, 0o777)
    md = make_maildir(os.path.join(parent, "Maildir"))
    r = deliver(["-d", md, "-f", SENDER, "-r", RCPT], b"x\n")
    assert r.returncode == EX_TEMPFAIL, r.stderr
    assert b"unsafe owner or mode" in r.stderr
    assert_nothing_delivered(md)


@pytest.mark.skipif(not buzontest.IS_ROOT, reason="needs root to chown")
def test_foreign_owner_refused(workdir):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    uid, gid = buzontest.unprivileged_user()
    os.chown(md, uid, gid)
    r = deliver(["-d", md, "-f", SENDER, "-r", RCPT], b"x\n")
    assert r.returncode == EX_TEMPFAIL, r.stderr
    assert b"owned by uid %d" % uid in r.stderr
    assert_nothing_delivered(md)


def test_alarm_removes_tmp_file(workdir):
    md = make_maildir(os.path.join(workdir, "Maildir"))
    p = subprocess.Popen([binary("maildeliver"), "-t", "1", "-d", md, "-f",
                          SENDER, "-r", RCPT], stdin=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env())
    start = time.monotonic()
    try:
        p.stdin.write(b"Subject: slow\n\npart")
        p.stdin.flush()
        buzontest.wait_for(lambda: p.poll() is not None, timeout=20,
                           what="maildeliver to time out")
    finally:
        p.stdin.close()
        err = p.stderr.read()
        p.stderr.close()
        p.wait()
    assert p.returncode == EX_TEMPFAIL, err
    assert time.monotonic() - start < 15
    assert b"timed out" in err
    assert_nothing_delivered(md)
