"""smtpd-lite over real sockets: every command, pipelining, STARTTLS,
AUTH, recipients checked with authd, relay control, and the DATA input
discipline, against a stand-in queue that keeps exactly the octets it
was sent (test_smtpd_queue.py runs the real mailqueue)."""

import os
import smtplib
import socket
import threading
import time

import pytest

import buzontest
from smtpdwire import (CLIENT, DOMAIN, HOST, QP_F_8BITMIME, QP_F_RECEIVED,
                       Raw, client_tls, mkhash, passwd_line, smtpd_env)

USERS = [passwd_line("ana", mkhash("ana-pw"), 2001, 2001),
         passwd_line("bob@example.org", mkhash("bob-pw"), 2002, 2002)]


@pytest.fixture(scope="module")
def env():
    with smtpd_env("buzon-smtpd-", "# ours\n%s\n[127.0.0.1]\n" % DOMAIN,
                   USERS) as e:
        yield e


@pytest.fixture(autouse=True)
def fresh_queue(env):
    env.queue.answer = "ok"
    yield
    env.smtpd.claim_sanitizer()


def smtp(env, kind="smtp"):
    if kind == "smtps":
        c = smtplib.SMTP_SSL("127.0.0.1", env.smtpd.port[kind],
                             local_hostname=CLIENT, timeout=10,
                             context=client_tls())
    else:
        c = smtplib.SMTP("127.0.0.1", env.smtpd.port[kind],
                         local_hostname=CLIENT, timeout=10)
    return c


def raw(env, kind="smtp", ehlo=True):
    r = Raw(env.smtpd.port[kind], tls=(kind == "smtps"))
    code, text = r.reply()
    assert code == 220 and text.startswith(HOST), text
    if ehlo:
        assert r.cmd("EHLO " + CLIENT).code == 250
    return r


def tls_raw(env, kind="smtp"):
    r = raw(env, kind)
    assert r.cmd("STARTTLS") == (220, "2.0.0 Ready to start TLS")
    r.starttls()
    assert r.cmd("EHLO " + CLIENT).code == 250
    return r


def authed(env, kind="submission"):
    c = smtp(env, kind)
    c.starttls(context=client_tls())
    c.login("ana", "ana-pw")
    return c


def last_message(env, n=1):
    buzontest.wait_for(lambda: len(env.queue.messages) >= n, 10, "message")
    return env.queue.messages[-1]


# --- greeting, EHLO, simple commands --------------------------------------

def test_greeting_and_ehlo(env):
    c = smtp(env)
    code, text = c.ehlo()
    assert code == 250
    lines = text.decode().split("\n")
    assert lines[0] == "%s Hello %s [127.0.0.1]" % (HOST, CLIENT)
    assert set(lines[1:]) == {"8BITMIME", "ENHANCEDSTATUSCODES",
                              "SIZE 36700160", "STARTTLS", "PIPELINING",
                              "HELP"}
    assert "auth" not in c.esmtp_features      # not before TLS
    c.starttls(context=client_tls())
    code, text = c.ehlo()
    assert c.has_extn("auth") and c.esmtp_features["auth"] == " PLAIN LOGIN"
    assert not c.has_extn("starttls")
    assert c.quit() == (221, b"2.0.0 %s Bye" % HOST.encode())


def test_helo_noop_rset_help_vrfy(env):
    r = raw(env, ehlo=False)
    assert r.cmd("HELO " + CLIENT) == (250, "%s Hello %s [127.0.0.1]" %
                                       (HOST, CLIENT))
    assert r.cmd("NOOP") == (250, "2.0.0 Ok")
    assert r.cmd("noop whatever") == (250, "2.0.0 Ok")
    assert r.cmd("RSET") == (250, "2.0.0 Ok")
    code, text = r.cmd("HELP")
    assert code == 214 and all(ln.startswith("2.0.0 ")
                               for ln in text.split("\n"))
    assert r.cmd("VRFY ana").code == 252
    assert r.cmd("VRFY").code == 501
    # HELO is plain SMTP: no MAIL parameters
    assert r.cmd("MAIL FROM:<a@b.example> BODY=8BITMIME").code == 555
    assert r.cmd("QUIT").code == 221
    assert r.closed()


def test_enhanced_codes_on_every_reply(env):
    r = raw(env)
    for cmd in ("NOOP", "RSET", "BOGUS", "RCPT TO:<ana@example.org>",
                "DATA", "VRFY x", "MAIL FROM:<>", "RCPT TO:<nobody-here@"
                "example.org>", "RCPT TO:<x@elsewhere.example>", "RSET",
                "AUTH PLAIN"):
        code, text = r.cmd(cmd)
        assert text[0] == str(code)[0] and text[1] == "." and \
            text.split(" ")[0].count(".") == 2, (cmd, code, text)


def test_unknown_and_out_of_sequence(env):
    r = raw(env, ehlo=False)
    assert r.cmd("MAIL FROM:<a@b.example>") == \
        (503, "5.5.1 Bad sequence of commands")
    assert r.cmd("EHLO").code == 501
    assert r.cmd("EHLO " + CLIENT).code == 250
    assert r.cmd("XYZZY") == (500, "5.5.1 Command unrecognized")
    assert r.cmd("RCPT TO:<ana@example.org>").code == 503
    assert r.cmd("DATA").code == 503
    assert r.cmd("MAIL FROM:<a@b.example>").code == 250
    assert r.cmd("MAIL FROM:<a@b.example>").code == 503
    assert r.cmd("DATA").code == 503                # no recipient yet
    assert r.cmd("MAIL FROM:bad").code == 503
    assert r.cmd("RSET").code == 250
    assert r.cmd("MAIL FROM:bad") == (501, "5.1.7 Syntax: MAIL "
                                      "FROM:<address>")
    assert r.cmd("MAIL FROM:<a@b.example>").code == 250
    assert r.cmd("RCPT TO:ana@example.org").code == 501
    assert r.cmd("RCPT TO:<ana@example.org> NOTIFY=NEVER").code == 555
    r.close()


def test_mail_parameters(env):
    r = raw(env)
    assert r.cmd("MAIL FROM:<a@b.example> SIZE=36700161") == \
        (552, "5.3.4 Message size exceeds fixed limit of 36700160 octets")
    assert r.cmd("MAIL FROM:<a@b.example> SIZE=x").code == 501
    assert r.cmd("MAIL FROM:<a@b.example> BODY=BINARYMIME").code == 555
    assert r.cmd("MAIL FROM:<a@b.example> FOO=1").code == 555
    assert r.cmd("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME "
                 "AUTH=<>") == (250, "2.1.0 Ok")
    assert r.cmd("RSET").code == 250
    assert r.cmd("mail from: <> body=7bit").code == 250
    r.close()


# --- recipients -------------------------------------------------------------

def test_recipients(env):
    r = raw(env)
    assert r.cmd("MAIL FROM:<a@b.example>").code == 250
    # authd knows "ana" (local part) and "bob@example.org" (full address)
    assert r.cmd("RCPT TO:<ana@example.org>") == (250, "2.1.5 Ok")
    assert r.cmd("RCPT TO:<ANA@EXAMPLE.ORG>").code in (250, 550)
    assert r.cmd("RCPT TO:<bob@example.org>").code == 250
    assert r.cmd("RCPT TO:<ana@[127.0.0.1]>").code == 250
    code, text = r.cmd("RCPT TO:<nosuch@example.org>")
    assert code == 550 and text.startswith("5.1.1 ")
    assert r.cmd("RCPT TO:<Postmaster>").code == 250
    assert r.cmd("RCPT TO:<@relay.example:ana@example.org>").code == 250
    assert r.cmd("RCPT TO:<x@elsewhere.example>") == \
        (554, "5.7.1 Relay access denied")
    assert r.cmd("RCPT TO:<x@example.org.elsewhere.example>").code == 554
    assert r.cmd("RCPT TO:<>").code == 501
    assert r.cmd("RCPT TO:<nodomain>").code == 501
    r.close()


def test_no_open_relay_over_tls(env):
    r = tls_raw(env)
    assert r.cmd("MAIL FROM:<a@example.org>").code == 250
    assert r.cmd("RCPT TO:<x@elsewhere.example>").code == 554
    r.close()


def test_max_recipients(env):
    r = raw(env)
    assert r.cmd("MAIL FROM:<a@b.example>").code == 250
    r.send(b"RCPT TO:<ana@example.org>\r\n" * 100)
    for _ in range(100):
        assert r.reply().code == 250
    assert r.cmd("RCPT TO:<ana@example.org>") == \
        (452, "4.5.3 Too many recipients")
    r.close()


def test_authenticated_relay(env):
    c = authed(env, "smtp")
    c.sendmail("ana@example.org", ["x@elsewhere.example", "ana@example.org"],
               b"Subject: out\r\n\r\nto the world\r\n")
    c.quit()
    m = last_message(env)
    assert m["rcpts"] == ["x@elsewhere.example", "ana@example.org"]
    assert b"with ESMTPSA" in m["data"]
    assert b"(authenticated user ana)" in m["data"]


# --- DATA -------------------------------------------------------------------

def test_data_received_header_and_unstuffing(env):
    n = len(env.queue.messages)
    r = raw(env)
    r.send(b"MAIL FROM:<sender@b.example> BODY=8BITMIME\r\n"
           b"RCPT TO:<ana@example.org>\r\nDATA\r\n")
    assert r.reply() == (250, "2.1.0 Ok")
    assert r.reply() == (250, "2.1.5 Ok")
    assert r.reply().code == 354
    body = (b"Subject: hi\r\n\r\nline one\r\n..leading dot\r\n.\t\r\n"
            b"caf\xc3\xa9\r\n")
    r.send(body + b".\r\n")
    code, text = r.reply()
    assert code == 250 and text.startswith("2.0.0 Ok: queued as FQ"), text
    m = last_message(env, n + 1)
    assert m["sender"] == "sender@b.example"
    assert m["rcpts"] == ["ana@example.org"]
    assert m["flags"] == QP_F_RECEIVED | QP_F_8BITMIME
    hdr, rest = m["data"].split(b"\r\n\r\n", 1)
    assert rest == b"line one\r\n.leading dot\r\n\t\r\ncaf\xc3\xa9\r\n"
    hdr = hdr.decode()
    assert hdr.startswith("Received: from %s ([127.0.0.1])\r\n\tby %s "
                          "(smtpd-lite) with ESMTP\r\n\tid " % (CLIENT, HOST))
    assert "\r\n\tfor <ana@example.org>;\r\n\t" in hdr
    assert hdr.endswith("\r\nSubject: hi")
    r.cmd("QUIT")
    env.smtpd.wait_log("event=message queue_id=FQ")
    assert "from=<sender@b.example> rcpts=1" in env.smtpd.log()


def test_received_over_tls(env):
    n = len(env.queue.messages)
    c = smtp(env, "smtps")
    c.sendmail("", ["ana@example.org", "bob@example.org"], b"x: y\r\n\r\nz\r\n")
    c.quit()
    m = last_message(env, n + 1)
    assert m["sender"] == ""
    head = m["data"].split(b";")[0].decode()
    assert "with ESMTPS\r\n\t(version=TLSv1.3 cipher=" in head
    assert "for <" not in head      # only for a single recipient


def test_pipelining_two_messages(env):
    n = len(env.queue.messages)
    r = raw(env)
    r.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<ana@example.org>\r\n"
           b"RCPT TO:<nosuch@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
           b"DATA\r\n")
    assert [r.reply().code for _ in range(5)] == [250, 250, 550, 250, 354]
    r.send(b"one\r\n.\r\nMAIL FROM:<c@d.example>\r\n"
           b"RCPT TO:<bob@example.org>\r\nDATA\r\n")
    assert [r.reply().code for _ in range(4)] == [250, 250, 250, 354]
    r.send(b"two\r\n.\r\nQUIT\r\n")
    assert r.reply().code == 250
    assert r.reply().code == 221
    last_message(env, n + 2)
    one, two = env.queue.messages[n:n + 2]
    assert one["rcpts"] == ["ana@example.org", "bob@example.org"]
    assert one["data"].endswith(b"\r\none\r\n")
    assert two["sender"] == "c@d.example"
    assert two["data"].endswith(b"\r\ntwo\r\n")


@pytest.mark.parametrize("smuggle", [b"\n.\n", b"\n.\r\n", b"\r.\r\n",
                                     b"\r\n.\n", b"\r\n.\r", b"\r.\r"])
def test_smuggling(env, smuggle):
    """A second message hidden behind a non-standard end of data is
    neither ended early nor injected: the whole thing is one message,
    refused at the real CRLF.CRLF."""
    n, aborts = len(env.queue.messages), env.queue.aborts
    r = raw(env)
    r.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<ana@example.org>\r\n"
           b"DATA\r\n")
    assert [r.reply().code for _ in range(3)] == [250, 250, 354]
    r.send(b"Subject: first\r\n\r\nbody" + smuggle +
           b"MAIL FROM:<evil@b.example>\r\nRCPT TO:<bob@example.org>\r\n"
           b"DATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n")
    # one answer, at the real end: it was all the first message's data
    code, text = r.reply()
    assert code == 550 and text.startswith("5.6.2"), text
    assert r.cmd("NOOP") == (250, "2.0.0 Ok")
    r.close()
    time.sleep(0.2)
    assert len(env.queue.messages) == n
    assert env.queue.aborts == aborts + 1


def test_bare_lf_and_nul_in_data(env):
    n = len(env.queue.messages)
    r = raw(env)
    for bad, expect in ((b"a\nb\r\n", "5.6.2"), (b"a\0b\r\n", "5.6.0"),
                        (b"x" * 999 + b"\r\n", "5.6.0")):
        r.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<ana@example.org>\r\n"
               b"DATA\r\n")
        assert [r.reply().code for _ in range(3)] == [250, 250, 354]
        r.send(b"Subject: x\r\n\r\n" + bad + b".\r\n")
        code, text = r.reply()
        assert code == 550 and text.startswith(expect), text
    # exactly 1000 octets with CRLF is fine
    r.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<ana@example.org>\r\n"
           b"DATA\r\n")
    assert [r.reply().code for _ in range(3)] == [250, 250, 354]
    r.send(b"x" * 998 + b"\r\n.\r\n")
    assert r.reply().code == 250
    r.close()
    assert len(env.queue.messages) == n + 1


def test_overlong_data_line_does_not_hang(env):
    """A line over the hard limit of the reader still ends at CRLF.CRLF."""
    r = raw(env)
    r.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<ana@example.org>\r\n"
           b"DATA\r\n")
    assert [r.reply().code for _ in range(3)] == [250, 250, 354]
    r.send(b"y" * 200000 + b"\r\n.\r\n")
    code, text = r.reply()
    assert code == 550 and "line over 1000" in text
    assert r.cmd("NOOP").code == 250
    r.close()


def test_queue_answers(env):
    r = raw(env)
    for answer, expect in (("fail", (554, "5.3.0")),
                           ("tempfail", (451, "4.3.0"))):
        env.queue.answer = answer
        r.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<ana@example.org>\r\n"
               b"DATA\r\n")
        assert [r.reply().code for _ in range(3)] == [250, 250, 354]
        r.send(b"hello\r\n.\r\n")
        code, text = r.reply()
        assert (code, text[:5]) == expect, text
    r.close()


# --- command input discipline and limits ------------------------------------

def test_command_line_limits(env):
    r = raw(env)
    assert r.cmd("NOOP " + "x" * 993).code == 250     # 1000 with CRLF
    assert r.cmd("NOOP " + "x" * 994) == \
        (500, "5.5.2 Line too long (over 1000 octets)")
    r.send(b"NOOP\0\r\n")
    assert r.reply() == (500, "5.5.2 NUL octet in command")
    r.send(b"NOOP\n")
    assert r.reply().code == 500
    r.send(b"NO\rOP\r\n")
    assert r.reply().code == 500
    assert r.cmd("NOOP").code == 250
    r.close()


def test_max_errors(env):
    r = raw(env)
    r.send(b"BOGUS\r\n" * 10)
    for _ in range(10):
        assert r.reply().code == 500
    assert r.cmd("BOGUS").code == 500
    code, text = r.reply()
    assert code == 421 and text.startswith("4.7.0"), text
    assert r.closed()
    env.smtpd.wait_log("result=errors")


# --- STARTTLS, smtps, AUTH, submission --------------------------------------

def test_starttls_discards_pipelined_plaintext(env):
    r = raw(env)
    r.send(b"STARTTLS\r\nNOOP\r\n")
    assert r.reply() == (220, "2.0.0 Ready to start TLS")
    time.sleep(0.2)
    assert r.buf == b""
    r.starttls()
    r.send(b"EHLO " + CLIENT.encode() + b"\r\n")
    code, text = r.reply()
    # the first answer in TLS is the EHLO's: the NOOP was dropped
    assert code == 250 and text.startswith(HOST), text
    assert "AUTH PLAIN LOGIN" in text
    assert r.cmd("STARTTLS").code == 503
    r.close()


def test_starttls_resets_session(env):
    r = raw(env)
    assert r.cmd("MAIL FROM:<a@b.example>").code == 250
    assert r.cmd("STARTTLS").code == 503     # only outside a transaction
    assert r.cmd("RSET").code == 250
    assert r.cmd("STARTTLS").code == 220
    r.starttls()
    assert r.cmd("MAIL FROM:<a@b.example>").code == 503    # EHLO again
    r.close()


def test_starttls_before_ehlo(env):
    r = raw(env, ehlo=False)
    assert r.cmd("STARTTLS").code == 503
    r.close()


def test_smtps(env):
    r = raw(env, "smtps")
    code, text = r.cmd("EHLO x.example")
    assert code == 250 and "STARTTLS" not in text and "AUTH PLAIN" in text
    r.close()
    env.smtpd.wait_log("listener=smtps")


def test_smtps_rejects_plaintext(env):
    s = socket.create_connection(("127.0.0.1", env.smtpd.port["smtps"]), 10)
    s.sendall(b"EHLO x\r\n")
    s.settimeout(10)
    try:
        assert b"250" not in s.recv(4096)
    except ConnectionResetError:
        pass
    s.close()


def test_auth_refused_in_clear(env):
    r = raw(env)
    assert r.cmd("AUTH PLAIN AGFuYQBhbmEtcHc=") == \
        (538, "5.7.11 Encryption required for requested authentication "
         "mechanism")
    r.close()


def test_auth_plain(env):
    r = tls_raw(env)
    assert r.cmd("AUTH PLAIN AGFuYQBiYWQ=") == \
        (535, "5.7.8 Authentication credentials invalid")
    assert r.cmd("AUTH PLAIN !!!!").code == 501
    assert r.cmd("AUTH CRAM-MD5").code == 504
    assert r.cmd("AUTH PLAIN") == (334, "")
    assert r.cmd("*").code == 501
    assert r.cmd("AUTH PLAIN") == (334, "")
    assert r.cmd("AGFuYQBhbmEtcHc=") == \
        (235, "2.7.0 Authentication successful")      # \0ana\0ana-pw
    assert r.cmd("AUTH PLAIN AGFuYQBhbmEtcHc=").code == 503
    r.close()
    env.smtpd.wait_log("event=auth user=ana result=ok")
    assert "ana-pw" not in env.smtpd.log()
    env.authd.wait_log("service=smtp user=ana addr=127.0.0.1 result=ok")


def test_auth_plain_initial_with_authzid(env):
    r = tls_raw(env)
    # authzid ana, authcid ana: fine; authzid bob: refused
    assert r.cmd("AUTH PLAIN YW5hAGFuYQBhbmEtcHc=").code == 235
    r.close()
    r = tls_raw(env)
    assert r.cmd("AUTH PLAIN Ym9iAGFuYQBhbmEtcHc=").code == 535
    r.close()


def test_auth_login(env):
    r = tls_raw(env)
    assert r.cmd("AUTH LOGIN") == (334, "VXNlcm5hbWU6")
    assert r.cmd("YW5h") == (334, "UGFzc3dvcmQ6")
    assert r.cmd("d3Jvbmc=").code == 535
    assert r.cmd("AUTH LOGIN YW5h") == (334, "UGFzc3dvcmQ6")
    assert r.cmd("YW5hLXB3").code == 235
    r.close()
    c = smtp(env)
    c.starttls(context=client_tls())
    c.user, c.password = "ana", "ana-pw"
    c.ehlo()
    assert c.auth("LOGIN", c.auth_login, initial_response_ok=False)[0] == 235
    c.quit()


def test_submission_requires_tls_and_auth(env):
    r = raw(env, "submission")
    assert r.cmd("MAIL FROM:<ana@example.org>") == \
        (530, "5.7.0 Must issue a STARTTLS command first")
    assert r.cmd("AUTH PLAIN AGFuYQBhbmEtcHc=").code == 538
    assert r.cmd("STARTTLS").code == 220
    r.starttls()
    assert r.cmd("EHLO " + CLIENT).code == 250
    assert r.cmd("MAIL FROM:<ana@example.org>") == \
        (530, "5.7.0 Authentication required")
    assert r.cmd("AUTH PLAIN AGFuYQBhbmEtcHc=").code == 235
    assert r.cmd("MAIL FROM:<ana@example.org>").code == 250
    assert r.cmd("RCPT TO:<someone@elsewhere.example>").code == 250
    r.close()


# --- the session process -----------------------------------------------------

@pytest.mark.skipif(not buzontest.IS_ROOT, reason="privilege drop needs root")
def test_session_privileges(env):
    r = raw(env)
    pids = env.smtpd.sessions()
    assert len(pids) >= 1
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            uids = [ln.split()[1:] for ln in f if ln.startswith("Uid:")][0]
        assert set(uids) == {"65534"}
        assert os.readlink("/proc/%d/root" % pid) == env.smtpd.chroot
    # the master stays root and outside
    assert os.readlink("/proc/%d/root" % env.smtpd.pid) == "/"
    r.close()


def test_session_log_line(env):
    c = authed(env, "smtp")
    c.quit()
    env.smtpd.wait_log("user=ana result=quit")
    line = [ln for ln in env.smtpd.log().splitlines()
            if "user=ana result=quit" in ln][-1]
    assert "event=close addr=127.0.0.1 tls=TLSv1.3 cipher=" in line
    assert "messages=0 rejected=0" in line


def test_many_connections_are_reaped(env):
    """A steady stream of short sessions from 6 clients (at most 10 per
    address are allowed) is never refused for long: the master reaps
    each session as it ends, even while connections keep coming.  A
    session that said goodbye counts until its process is gone, which
    under load (or with a sanitizer's exit-time work) can take a moment:
    a refused client tries again, for at most 5 seconds, which sessions
    never reaped (the bug this guards against) would exhaust."""
    n = len(env.queue.messages)
    errors, retries = [], []

    def send(i):
        c = smtp(env)
        c.sendmail("a@b.example", ["ana@example.org"],
                   b"Subject: %d\r\n\r\nload\r\n" % i)
        c.quit()

    def client():
        for i in range(40):
            for _ in range(100):
                try:
                    send(i)
                    break
                except smtplib.SMTPConnectError:
                    retries.append(1)
                    time.sleep(0.05)
                except (smtplib.SMTPException, OSError) as e:
                    errors.append(repr(e))
                    break
    threads = [threading.Thread(target=client) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(env.queue.messages) == n + 240
    buzontest.wait_for(lambda: env.smtpd.sessions() == [], 10,
                       "every session reaped")
