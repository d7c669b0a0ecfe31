"""imapsd's configuration check and its documentation."""

import functools
import os
import subprocess

import pytest

import buzontest

MANPAGE = os.path.join(buzontest.ROOT, "imapsd", "imapsd.conf.5")
SAMPLE = os.path.join(buzontest.ROOT, "conf", "imapsd.conf")

imapsd_n = functools.partial(buzontest.check_config, "imapsd")

GOOD = """# sample
listen 127.0.0.1 993 imaps
listen * 143 imap
plaintext_networks 127.0.0.0/8 ::1 192.0.2.0/24
user %s
max_sessions 50
max_append 20M
timeout 45m
""" % ("nobody" if buzontest.IS_ROOT else "whoever")


def test_check_good_config(workdir):
    out = buzontest.accepted_config("imapsd", workdir, GOOD)
    assert "listen 127.0.0.1 993 imaps\nlisten * 143 imap\n" in out
    assert "timeout 2700s" in out
    assert "max_append 20971520" in out
    assert "chroot" in out and "/var/empty" in out


@pytest.mark.parametrize("line,msg", [
    ("bogus 1", "unknown keyword bogus"),
    ("listen 127.0.0.1 993", "listen: takes ADDR PORT imaps|imap"),
    ("listen 127.0.0.1 99999 imaps", "bad port"),
    ("listen 127.0.0.1 993 pop3s", "unknown kind pop3s"),
    ("max_line 100", "out of range"),
    ("max_literal 32M", "out of range"),
    ("login_timeout 0", "out of range"),
    ("max_errors many", "bad value"),
    ("plaintext_networks 10.0.0.0/33", "bad network 10.0.0.0/33"),
    ("chroot relative", "not an absolute path"),
])
def test_check_bad_config(workdir, line, msg):
    buzontest.assert_refused("imapsd", workdir, GOOD, line, msg,
                             at_line=False)


def test_no_listen_is_an_error(workdir):
    _, r = imapsd_n(workdir, "max_sessions 5\n")
    assert r.returncode == 78 and "no listen line" in r.stderr


def test_every_keyword_documented(workdir):
    printed = buzontest.printed_keywords("imapsd", workdir, GOOD)
    buzontest.assert_documented(printed, MANPAGE, 15)


def test_sample_config_parses(workdir):
    with open(SAMPLE) as f:
        text = f.read()
    # _imapsd need not exist on the test machine
    text += "\nuser %s\n" % ("nobody" if buzontest.IS_ROOT else "whoever")
    _, r = imapsd_n(workdir, text)
    assert r.returncode == 0, r.stderr


def test_usage():
    r = subprocess.run([buzontest.binary("imapsd"), "-x"],
                       capture_output=True, text=True)
    assert r.returncode == 64 and "usage" in r.stderr
