"""mailqueue's configuration check, its documentation and sample file,
and the man pages of the queue programs."""

import os
import re
import shutil
import subprocess

import pytest

import buzontest
from queuewire import queue_user

SRC = os.path.join(buzontest.ROOT, "smtpd-lite")
MANPAGE = os.path.join(SRC, "mailqueue.conf.5")
SAMPLE = os.path.join(buzontest.ROOT, "conf", "mailqueue.conf")
PAGES = ["mailqueue.8", "mailqueue.conf.5", "sendmail.8", "mailq.1"]


def mailqueue_n(workdir, text, verbose=False):
    path = os.path.join(workdir, "check.conf")
    with open(path, "w") as f:
        f.write(text)
    argv = [buzontest.binary("mailqueue"), "-n", "-f", path]
    if verbose:
        argv.insert(1, "-v")
    return path, subprocess.run(argv, capture_output=True, text=True,
                                timeout=30)


def good(workdir):
    domains = os.path.join(workdir, "domains")
    with open(domains, "w") as f:
        f.write("example.org\n# comment\nEXAMPLE.net\n")
    return ("# sample\nqueue_dir %s/q\nsocket %s/s\nuser %s\n"
            "local_domains %s\ntrusted_users root 1234\nretry_min 1m\n"
            "retry_max 2h\nmax_message_size 10M\nhostname mx.test\n" %
            (workdir, workdir, queue_user(), domains))


def test_check_good_config(workdir):
    _, r = mailqueue_n(workdir, good(workdir), verbose=True)
    assert r.returncode == 0, r.stderr
    assert "configuration OK" in r.stderr
    out = r.stdout
    for line in ("retry_min 60s", "retry_max 7200s",
                 "max_message_size 10485760", "socket_mode 0666",
                 "trusted_users root 1234", "hostname mx.test",
                 "# local domain example.org", "delivery_concurrency 8",
                 "maildeliver /"):
        assert line in out, out
    assert not os.path.exists(os.path.join(workdir, "q"))


@pytest.mark.parametrize("line,msg", [
    ("bogus 1", "unknown keyword bogus"),
    ("delivery_timeout 0", "out of range"),
    ("delivery_concurrency 257", "out of range"),
    ("max_recipients many", "bad value"),
    ("authd_timeout 11m", "out of range"),
    ("socket_mode 999", "bad value"),
    ("timeout 2h", "out of range"),
])
def test_check_bad_config(workdir, line, msg):
    text = good(workdir)
    path, r = mailqueue_n(workdir, text + line + "\n")
    assert r.returncode == 78, r.stderr
    assert msg in r.stderr
    assert "%s:%d:" % (path, text.count("\n") + 1) in r.stderr


@pytest.mark.parametrize("extra,msg", [
    ("retry_min 1h\nretry_max 1m\n", "retry_max is less than retry_min"),
    ("maildeliver relative/md\n", "must be absolute paths"),
])
def test_check_inconsistent_config(workdir, extra, msg):
    text = good(workdir).replace("retry_min 1m\nretry_max 2h\n", "")
    _, r = mailqueue_n(workdir, text + extra)
    assert r.returncode == 78 and msg in r.stderr


def test_bad_user_and_domains(workdir):
    if buzontest.IS_ROOT:
        text = good(workdir).replace("user %s" % queue_user(),
                                     "user no-such-user-xyz")
        _, r = mailqueue_n(workdir, text)
        assert r.returncode == 78 and "no such user" in r.stderr
        _, r = mailqueue_n(workdir, good(workdir).replace(
            "user %s" % queue_user(), "user root"))
        assert r.returncode == 78 and "is root" in r.stderr
    with open(os.path.join(workdir, "domains"), "w") as f:
        f.write("bad domain name\n")
    text = good(workdir)
    with open(os.path.join(workdir, "domains"), "w") as f:
        f.write("bad domain name\n")
    _, r = mailqueue_n(workdir, text)
    assert r.returncode == 78 and "local_domains" in r.stderr


def printed_keywords(workdir):
    _, r = mailqueue_n(workdir, good(workdir), verbose=True)
    assert r.returncode == 0
    printed = set()
    for line in r.stdout.splitlines():
        if line.startswith("# local domain "):
            continue
        printed.add(re.match(r"(?:# )?([a-z_]+)", line).group(1))
    return printed


def test_every_keyword_documented(workdir):
    printed = printed_keywords(workdir)
    with open(MANPAGE) as f:
        documented = set(re.findall(r"^\.It Ic ([a-z_]+)", f.read(), re.M))
    assert len(printed) >= 18
    assert printed <= documented, printed - documented
    assert documented <= printed, documented - printed


def test_sample_lists_every_keyword(workdir):
    with open(SAMPLE) as f:
        text = f.read()
    sample = set(re.findall(r"^#([a-z_]+)\t", text, re.M))
    assert sample == printed_keywords(workdir)
    # uncommented, the sample is a valid configuration
    lines = [re.sub(r"^#([a-z_]+\t)", r"\1", l) for l in text.splitlines()]
    lines = [l for l in lines if not l.startswith(("user", "local_domains",
                                                    "trusted"))]
    _, r = mailqueue_n(workdir, "\n".join(lines) + "\nuser %s\n"
                       % queue_user())
    assert r.returncode == 0, r.stderr


def test_usage():
    r = subprocess.run([buzontest.binary("mailqueue"), "-x"],
                       capture_output=True, text=True)
    assert r.returncode == 64 and "usage" in r.stderr
    r = subprocess.run([buzontest.binary("mailqueue"), "extra"],
                       capture_output=True, text=True)
    assert r.returncode == 64


@pytest.mark.skipif(shutil.which("mandoc") is None, reason="no mandoc")
def test_man_pages_lint():
    r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning"] +
                       [os.path.join(SRC, p) for p in PAGES],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr
    with open(os.path.join(SRC, "mailqueue.8")) as f:
        page = f.read()
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "PRIVILEGES",
                    "FILES", "EXIT STATUS", "SEE ALSO", "STANDARDS",
                    "CAVEATS"):
        assert ".Sh " + section in page
