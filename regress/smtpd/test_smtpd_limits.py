"""smtpd-lite's named limits with small values: timeouts, message size,
sessions in all and per address, AUTH in clear for listed networks, and
temporary failures when authd goes away."""

import os
import socket
import time

import pytest

import buzontest
from smtpdwire import (CLIENT, DOMAIN, HOST, Raw, Smtpd, mkhash, passwd_line,
                       smtpd_env)

USERS = [passwd_line("ana", mkhash("ana-pw"), 2001, 2001)]

LIMITS = """timeout 1s
tls_timeout 1s
data_timeout 2s
max_message_size 64K
max_sessions 4
max_sessions_per_addr 2
max_recipients 3
max_errors 2
auth_plaintext_networks 127.0.0.0/8 ::1
"""


@pytest.fixture(scope="module")
def env():
    with smtpd_env("buzon-smtpd-limits-", DOMAIN + "\n", USERS,
                   conf=LIMITS) as e:
        yield e


@pytest.fixture(autouse=True)
def claim(env):
    wait_sessions(env, 0)       # the last test's sessions are gone
    yield
    env.smtpd.claim_sanitizer()


def raw(env, kind="smtp"):
    r = Raw(env.smtpd.port[kind], tls=(kind == "smtps"))
    assert r.reply().code == 220
    assert r.cmd("EHLO " + CLIENT).code == 250
    return r


def wait_sessions(env, n):
    buzontest.wait_for(lambda: len(env.smtpd.sessions()) == n, 10,
                       "%d sessions" % n)


def test_command_timeout(env):
    r = raw(env)
    t = time.monotonic()
    code, text = r.reply()
    assert (code, text) == (421, "4.4.2 %s Timeout, closing connection" %
                            HOST)
    assert 0.8 < time.monotonic() - t < 5
    assert r.closed()
    env.smtpd.wait_log("result=timeout")


def test_data_timeout(env):
    r = raw(env)
    r.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<ana@example.org>\r\n"
           b"DATA\r\n")
    assert [r.reply().code for _ in range(3)] == [250, 250, 354]
    r.send(b"Subject: slow\r\n\r\npart")
    time.sleep(1.2)             # longer than timeout, shorter than data's
    r.send(b" of a line\r\n")
    code, text = r.reply()
    assert code == 421 and text.startswith("4.4.2"), text
    assert r.closed()
    env.smtpd.wait_log("result=data-timeout")


def test_tls_handshake_timeout(env):
    s = socket.create_connection(("127.0.0.1", env.smtpd.port["smtps"]), 10)
    t = time.monotonic()
    s.settimeout(10)
    assert s.recv(4096) == b""          # closed without a word
    assert 0.8 < time.monotonic() - t < 5
    s.close()
    env.smtpd.wait_log("event=tls result=fail error=\"timeout\"")


def test_message_size(env):
    r = raw(env)
    code, text = r.cmd("EHLO " + CLIENT)
    assert "SIZE 65536" in text
    assert r.cmd("MAIL FROM:<a@b.example> SIZE=65537").code == 552
    assert r.cmd("MAIL FROM:<a@b.example> SIZE=65536").code == 250
    assert r.cmd("RCPT TO:<ana@example.org>").code == 250
    assert r.cmd("DATA").code == 354
    line = b"x" * 998 + b"\r\n"
    t = time.monotonic()
    for _ in range(200):                # 200 kB: read to the end anyway
        r.send(line)
    r.send(b".\r\n")
    assert r.reply() == (552, "5.3.4 Message size exceeds fixed limit of "
                         "65536 octets")
    assert time.monotonic() - t < 10
    assert r.cmd("NOOP").code == 250
    n = len(env.queue.messages)
    assert r.cmd("MAIL FROM:<a@b.example>").code == 250
    assert r.cmd("RCPT TO:<ana@example.org>").code == 250
    assert r.cmd("DATA").code == 354
    r.send(line * 60 + b".\r\n")       # 60000 octets
    assert r.reply().code == 250
    r.close()
    assert len(env.queue.messages) == n + 1


def test_max_recipients_and_errors(env):
    r = raw(env)
    assert r.cmd("MAIL FROM:<a@b.example>").code == 250
    for _ in range(3):
        assert r.cmd("RCPT TO:<ana@example.org>").code == 250
    assert r.cmd("RCPT TO:<ana@example.org>").code == 452
    assert r.cmd("RCPT TO:<ana@example.org>").code == 452
    code, text = r.cmd("RCPT TO:<ana@example.org>")
    assert code == 452
    assert r.reply().code == 421
    assert r.closed()


def test_sessions_per_addr(env):
    a, b = raw(env), raw(env)
    wait_sessions(env, 2)
    c = Raw(env.smtpd.port["smtp"])
    code, text = c.reply()
    assert code == 421 and text.startswith("4.7.0"), text
    assert c.closed()
    env.smtpd.wait_log("event=refused addr=127.0.0.1 "
                       "limit=max_sessions_per_addr")
    a.cmd("QUIT")
    a.close()
    wait_sessions(env, 1)
    d = raw(env)                        # a slot is free again
    d.close()
    b.close()


def test_max_sessions(env):
    """max_sessions counts every address: 127.0.0.2 and 127.0.0.3 are
    other clients of the same loopback."""
    wait_sessions(env, 0)
    conns = []
    for src in ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"):
        s = socket.create_connection(("127.0.0.1", env.smtpd.port["smtp"]),
                                     10, source_address=(src, 0))
        conns.append(s)
        assert s.recv(4096).startswith(b"220 ")
    s = socket.create_connection(("127.0.0.1", env.smtpd.port["smtp"]), 10,
                                 source_address=("127.0.0.5", 0))
    assert s.recv(4096).startswith(b"421 4.7.0")
    env.smtpd.wait_log("addr=127.0.0.5 limit=max_sessions\n")
    for c in conns + [s]:
        c.close()


def test_auth_in_clear_for_listed_network(env):
    r = raw(env)
    code, text = r.cmd("EHLO " + CLIENT)
    assert "AUTH PLAIN LOGIN" in text
    assert r.cmd("AUTH PLAIN AGFuYQBhbmEtcHc=").code == 235
    assert r.cmd("MAIL FROM:<ana@example.org>").code == 250
    assert r.cmd("RCPT TO:<x@elsewhere.example>").code == 250
    r.close()
    # submission insists on TLS whatever the network
    r = raw(env, "submission")
    assert r.cmd("AUTH PLAIN AGFuYQBhbmEtcHc=").code == 538
    r.close()


def test_tempfail_when_authd_is_gone(env):
    """Sessions keep the authd connection opened before the chroot; with
    authd gone, AUTH is 454 and local recipients are 451, never 5xx."""
    r = raw(env)
    env.authd.stop()
    try:
        assert r.cmd("AUTH PLAIN AGFuYQBhbmEtcHc=") == \
            (454, "4.7.0 Temporary authentication failure")
        assert r.cmd("MAIL FROM:<a@b.example>").code == 250
        assert r.cmd("RCPT TO:<ana@example.org>") == \
            (451, "4.3.0 Recipient lookup failed, try again later")
        assert r.cmd("RCPT TO:<x@elsewhere.example>").code == 554
        r.close()
    finally:
        env.authd.start()
    env.smtpd.wait_log("event=auth user=ana result=tempfail")


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_queue_unreachable_and_ipv6(env, workdir):
    """A session that could not reach the queue says 451 at MAIL; an IPv6
    listener shows the client as an IPv6 address."""
    port6 = buzontest.free_port()
    extra = "listen ::1 %d smtp\n" % port6 if ipv6_loopback() else ""
    s = Smtpd(workdir, env.authd.sock, os.path.join(workdir, "none.sock"),
              env.cert, env.key, env.domains, extra).start()
    try:
        r = Raw(s.port["smtp"])
        assert r.reply().code == 220
        assert r.cmd("EHLO " + CLIENT).code == 250
        assert r.cmd("MAIL FROM:<a@b.example>") == \
            (451, "4.3.0 Queue unavailable, try again later")
        r.close()
        s.wait_log("event=queue_unreachable")
        if extra:
            c = socket.create_connection(("::1", port6), 10)
            c.recv(4096)
            c.sendall(b"EHLO x.example\r\n")
            data = b""
            while b"250 HELP" not in data:
                data += c.recv(4096)
            assert b"Hello x.example [::1]" in data
            c.close()
    finally:
        assert s.stop() == 0
