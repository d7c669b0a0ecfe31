"""mailqueue's configuration check, its documentation and sample file,
and the man pages of the queue programs."""

import functools
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


mailqueue_n = functools.partial(buzontest.check_config, "mailqueue")


def good(workdir):
    domains = os.path.join(workdir, "domains")
    with open(domains, "w") as f:
        f.write("example.org\n# comment\nEXAMPLE.net\n")
    return ("# sample\nqueue_dir %s/q\nsocket %s/s\nuser %s\n"
            "local_domains %s\ntrusted_users root 1234\nretry_min 1m\n"
            "retry_max 2h\nmax_message_size 10M\nhostname mx.test\n" %
            (workdir, workdir, queue_user(), domains))


def test_check_good_config(workdir):
    out = buzontest.accepted_config("mailqueue", workdir, good(workdir))
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
    buzontest.assert_refused("mailqueue", workdir, good(workdir), line, msg)


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
    """-nv also lists the local domains, which are no keywords."""
    return buzontest.printed_keywords("mailqueue", workdir, good(workdir),
                                      skip="# local domain ")


def test_every_keyword_documented(workdir):
    buzontest.assert_documented(printed_keywords(workdir), MANPAGE, 18,
                                exact=True)


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
