"""smtpd-lite's configuration check (-n, -nv), its errors, its manual
page (every keyword the parser knows is documented), the sample file,
and start-up failures."""

import functools
import os
import re
import subprocess

import pytest

import buzontest
from smtpdwire import daemon_user, make_cert

MANPAGE = os.path.join(buzontest.ROOT, "smtpd-lite", "smtpd-lite.conf.5")
SAMPLE = os.path.join(buzontest.ROOT, "conf", "smtpd-lite.conf")


def good(workdir):
    lhn = os.path.join(workdir, "lhn")
    with open(lhn, "w") as f:
        f.write("# local\nexample.org\nExample.NET\n[192.0.2.1]\n")
    cert, key = make_cert(workdir)
    return """# sample
listen 127.0.0.1 2525 smtp
listen ::1 4650 smtps
listen 127.0.0.1 5870 submission
hostname mx.example.org
user %s
local_domains %s
tls_cert %s
tls_key %s
auth_plaintext_networks 127.0.0.0/8 ::1/128
auth_plaintext_networks 192.0.2.7
max_message_size 10M
timeout 2m
""" % (daemon_user(), lhn, cert, key)


smtpd_n = functools.partial(buzontest.check_config, "smtpd-lite")


def test_check_good_config(workdir):
    out = buzontest.accepted_config("smtpd-lite", workdir, good(workdir))
    assert ("listen 127.0.0.1 2525 smtp\nlisten ::1 4650 smtps\n"
            "listen 127.0.0.1 5870 submission\n") in out
    assert "max_message_size 10485760" in out
    assert "timeout 120s" in out
    assert "data_timeout 600s" in out
    assert "max_recipients 100\n" in out
    assert "auth_plaintext_networks 127.0.0.0/8 ::1/128 192.0.2.7" in out
    assert "# local_domains: [192.0.2.1]" in out


def test_defaults(workdir):
    _, r = smtpd_n(workdir, "user %s\nlocal_domains %s/none\n" %
                   (daemon_user(), workdir), verbose=True)
    assert r.returncode == 0, r.stderr
    for line in ("listen 0.0.0.0 25 smtp", "chroot /var/empty",
                 "max_sessions 100", "max_sessions_per_addr 10",
                 "max_line 1000", "max_data_line 1000",
                 "max_message_size 36700160", "max_errors 10",
                 "timeout 300s", "authd_socket /var/run/authd.sock"):
        assert line + "\n" in r.stdout, line


@pytest.mark.parametrize("line,msg", [
    ("bogus 1", "unknown keyword bogus"),
    ("listen 127.0.0.1 25", "takes an address, a port"),
    ("listen 127.0.0.1 0 smtp", "bad port 0"),
    ("listen 127.0.0.1 25 lmtp", "unknown kind lmtp"),
    ("max_line 100", "out of range"),
    ("max_data_line 999", "out of range"),
    ("max_recipients 0", "out of range"),
    ("max_errors 10X", "bad value"),
    ("data_timeout 0", "out of range"),
    ("tls_timeout 11m", "out of range"),
    ("max_sessions lots", "bad value"),
])
def test_check_bad_config(workdir, line, msg):
    buzontest.assert_refused("smtpd-lite", workdir, good(workdir), line, msg)


@pytest.mark.parametrize("line,msg", [
    ("auth_plaintext_networks 10.0.0.0/33", "bad network 10.0.0.0/33"),
    ("auth_plaintext_networks example.org", "bad network example.org"),
    ("user no-such-user-xyz", "no such user"),
    ("hostname bad..name", "not a domain name"),
    ("chroot relative", "absolute"),
])
def test_check_bad_values(workdir, line, msg):
    if msg == "no such user" and not buzontest.IS_ROOT:
        pytest.skip("the user is checked only when a drop is due")
    kw = line.split()[0]
    text = re.sub(r"(?m)^%s .*\n" % kw, "", good(workdir))
    _, r = smtpd_n(workdir, text + line + "\n")
    assert r.returncode == 78, r.stderr
    assert msg in r.stderr


def test_tls_listeners_need_a_certificate(workdir):
    text = re.sub(r"tls_(cert|key) .*\n", "", good(workdir))
    _, r = smtpd_n(workdir, text)
    assert r.returncode == 78
    assert "needs tls_cert and tls_key" in r.stderr
    _, r = smtpd_n(workdir, re.sub(r"tls_key .*\n", "", good(workdir)))
    assert r.returncode == 78
    assert "go together" in r.stderr


def test_bad_certificate(workdir):
    bad = os.path.join(workdir, "bad.pem")
    with open(bad, "w") as f:
        f.write("not a certificate\n")
    text = re.sub(r"tls_cert .*\n", "tls_cert %s\n" % bad, good(workdir))
    _, r = smtpd_n(workdir, text)
    assert r.returncode == 78
    assert "tls_cert %s" % bad in r.stderr
    text = re.sub(r"tls_key .*\n", "tls_key %s/missing.key\n" % workdir,
                  good(workdir))
    _, r = smtpd_n(workdir, text)
    assert r.returncode == 78 and "missing.key" in r.stderr


def test_every_keyword_documented(workdir):
    printed = buzontest.printed_keywords("smtpd-lite", workdir,
                                         good(workdir))
    buzontest.assert_documented(printed, MANPAGE, 20)


def test_sample_config(workdir):
    """conf/smtpd-lite.conf parses; only its files are replaced."""
    cert, key = make_cert(workdir)
    with open(SAMPLE) as f:
        text = f.read()
    text = text.replace("/etc/ssl/buzon.crt", cert)
    text = text.replace("/etc/ssl/private/buzon.key", key)
    text += "user %s\nlocal_domains %s/none\n" % (daemon_user(), workdir)
    _, r = smtpd_n(workdir, text, verbose=True)
    assert r.returncode == 0, r.stderr
    assert "listen 0.0.0.0 587 submission" in r.stdout


def test_usage_and_missing_file(workdir):
    r = subprocess.run([buzontest.binary("smtpd-lite"), "-x"],
                       capture_output=True, text=True)
    assert r.returncode == 64 and "usage" in r.stderr
    r = subprocess.run([buzontest.binary("smtpd-lite"), "-n", "-f",
                        os.path.join(workdir, "nope.conf")],
                       capture_output=True, text=True)
    assert r.returncode == 78


def test_busy_port_is_fatal(workdir):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    text = re.sub(r"listen .*\n", "", good(workdir))
    path = os.path.join(workdir, "busy.conf")
    with open(path, "w") as f:
        f.write(text + "listen 127.0.0.1 %d smtp\n" % port)
    r = subprocess.run([buzontest.binary("smtpd-lite"), "-d", "-f", path],
                       capture_output=True, text=True, timeout=30)
    s.close()
    assert r.returncode == 1
    assert "cannot listen on 127.0.0.1 port %d" % port in r.stderr
