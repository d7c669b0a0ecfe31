"""imapsd before and at login: the greeting's capabilities on each
listener, STARTTLS (and nothing sent in clear surviving it), LOGIN and
AUTHENTICATE PLAIN with and without an initial response, LOGINDISABLED,
failed logins, pipelined commands across the login, and bad input, each
with its exact reply."""

import base64
import imaplib
import os
import socket
import time

import pytest

import buzontest
import pop3fix
from buzontest import client_tls as client_ctx
from imapfix import Site, USERS


def caps(line):
    assert line.startswith(b"* OK [CAPABILITY "), line
    return line[len(b"* OK [CAPABILITY "):].split(b"]")[0].split()


def plain(user, pw, authz=""):
    return base64.b64encode(("%s\0%s\0%s" % (authz, user, pw))
                            .encode()).decode()


def test_greeting_capabilities(site):
    r = site.raw(tls=True)
    c = caps(r.line())
    assert c == [b"IMAP4rev1", b"LITERAL+", b"ID", b"SASL-IR",
                 b"AUTH=PLAIN"]
    r = site.raw(tls=False)
    c = caps(r.line())
    assert b"STARTTLS" in c and b"AUTH=PLAIN" in c
    assert b"LOGINDISABLED" not in c
    assert r.cmd("a CAPABILITY").startswith(b"* CAPABILITY IMAP4rev1 ")
    assert r.line() == b"a OK CAPABILITY completed"


def test_logindisabled_without_tls(workdir, cert):
    with Site(workdir, cert, plaintext="") as s:
        r = s.raw(tls=False)
        c = caps(r.line())
        assert b"LOGINDISABLED" in c and b"AUTH=PLAIN" not in c
        assert r.cmd("a LOGIN ana ana-pw") == (
            b"a NO [PRIVACYREQUIRED] plaintext authentication is not "
            b"allowed here; use STARTTLS first")
        assert r.cmd("b AUTHENTICATE PLAIN %s" % plain("ana", "ana-pw")) \
            .startswith(b"b NO [PRIVACYREQUIRED]")
        # After STARTTLS: AUTH=PLAIN, neither STARTTLS nor LOGINDISABLED.
        c = s.imap_client()
        c.starttls(ssl_context=client_ctx())
        typ, data = c.capability()
        got = data[0].split()
        assert b"AUTH=PLAIN" in got and b"STARTTLS" not in got
        assert b"LOGINDISABLED" not in got
        assert c.login("ana", "ana-pw")[0] == "OK"
        c.logout()


def test_login_logout(site):
    c = site.imaps_client()
    typ, data = c.login("ana", "ana-pw")
    assert typ == "OK"
    assert data[0].startswith(b"[CAPABILITY IMAP4rev1 ")
    assert data[0].endswith(b"] LOGIN completed")
    assert b"AUTH=PLAIN" not in data[0]      # not after login
    assert c.noop()[0] == "OK"
    typ, data = c.logout()
    assert typ == "BYE"
    site.wait_log("event=login user=ana addr=127.0.0.1 tls=yes "
                  "method=login")
    site.wait_log("event=logout user=ana result=logout")


def test_login_failures(site):
    r = site.raw()
    r.line()
    assert r.cmd("a LOGIN ana wrong") == (
        b"a NO [AUTHENTICATIONFAILED] invalid user name or password")
    assert r.cmd("b LOGIN nosuch x") == (
        b"b NO [AUTHENTICATIONFAILED] invalid user name or password")
    assert r.cmd("c LOGIN ana") == (
        b"c BAD LOGIN takes a user name and a password")
    assert r.cmd("d LOGIN %s x" % ("u" * 300)) == (
        b"d NO [AUTHENTICATIONFAILED] invalid user name or password")
    # A password with spaces, as a quoted string and as a literal.
    assert r.cmd('e LOGIN bob "bob pw"').startswith(b"e OK [CAPABILITY ")
    r = site.raw()
    r.line()
    r.send(b"f LOGIN bob {6}\r\n")
    assert r.line() == b"+ Ready for literal data"
    r.send(b"bob pw\r\n")
    assert r.line().startswith(b"f OK [CAPABILITY ")


def test_authenticate_plain(site):
    r = site.raw()
    r.line()
    assert r.cmd("a AUTHENTICATE PLAIN %s" % plain("ana", "wrong")) == (
        b"a NO [AUTHENTICATIONFAILED] invalid user name or password")
    assert r.cmd("b AUTHENTICATE CRAM-MD5") == b"b NO unsupported mechanism"
    assert r.cmd("c AUTHENTICATE PLAIN") == b"+ "
    assert r.cmd("*") == b"c BAD authentication cancelled"
    assert r.cmd("d AUTHENTICATE PLAIN") == b"+ "
    assert r.cmd("not-base64!") == b"d BAD malformed PLAIN response"
    assert r.cmd("e AUTHENTICATE PLAIN %s" % plain("ana", "ana-pw",
                                                    "bob")) == \
        b"e BAD malformed PLAIN response"
    assert r.cmd("f AUTHENTICATE PLAIN") == b"+ "
    assert r.cmd(plain("ana", "ana-pw")).startswith(
        b"f OK [CAPABILITY IMAP4rev1 ")
    # With an initial response (SASL-IR), through imaplib.
    c = site.imaps_client()
    typ, data = c.authenticate("PLAIN", lambda _: ("\0ana\0ana-pw")
                               .encode())
    assert typ == "OK" and data[0].endswith(b"AUTHENTICATE completed")
    c.logout()
    site.wait_log("method=plain")


def test_preauth_bounds_and_log(site):
    """The line after AUTHENTICATE's "+ " is bounded by max_auth_line
    (2048): over it, or with a NUL, it is BAD and the session goes on; a
    failed login is logged with the name made visible; a STARTTLS whose
    handshake fails ends the connection, logged."""
    r = site.raw()
    r.line()
    assert r.cmd("a AUTHENTICATE PLAIN") == b"+ "
    assert r.cmd("A" * 3000) == b"a BAD response too long or holding NUL"
    assert r.cmd("b AUTHENTICATE PLAIN") == b"+ "
    r.send(b"AGFu\0YQBhbmEtcHc=\r\n")
    assert r.line() == b"b BAD response too long or holding NUL"
    r.send(b"c LOGIN {5+}\r\nan\x01\"a wrong\r\n")
    assert r.line() == (b"c NO [AUTHENTICATIONFAILED] invalid user name "
                        b"or password")
    assert r.cmd("d AUTHENTICATE PLAIN %s" % plain("ana", "ana-pw")) \
        .startswith(b"d OK [CAPABILITY ")
    site.wait_log('event=login-failed user=an\\001\\042a method=login '
                  'result=fail')
    r.close()
    r = site.raw(tls=False)
    r.line()
    assert r.cmd("e STARTTLS") == b"e OK begin TLS negotiation now"
    r.send(b"no TLS hello here\r\n" * 8)
    assert r.closed() and r.buf == b""
    site.wait_log("event=tls-failed error=")
    site.wait_log("event=disconnect state=not-authenticated "
                  "result=tls-failed")
    # The same on the implicit TLS port.
    s = socket.create_connection(("127.0.0.1", site.imaps), timeout=20)
    s.sendall(b"no TLS hello here\r\n" * 8)
    assert pop3fix.Raw(s).closed()
    site.wait_log("event=tls-failed error=", count=2)
    site.wait_log("event=disconnect state=not-authenticated "
                  "result=tls-failed", count=2)


def test_pipelined_across_login(site):
    """Commands sent with the LOGIN, in the same write, are answered by
    the session in order."""
    r = site.raw()
    r.line()
    r.send(b"a LOGIN ana ana-pw\r\nb NOOP\r\nc ID NIL\r\nd LOGOUT\r\n")
    assert r.line().startswith(b"a OK [CAPABILITY ")
    assert r.line() == b"b OK NOOP completed"
    assert r.line() == b'* ID ("name" "buzon imapsd" "vendor" "buzon")'
    assert r.line() == b"c OK ID completed"
    assert r.line() == b"* BYE logging out"
    assert r.line() == b"d OK LOGOUT completed"
    assert r.line() == b""


def test_starttls_discards_plaintext(site):
    """RFC 3501 6.2.1: a command injected after STARTTLS in the same
    packet is never run."""
    r = site.raw(tls=False)
    r.line()
    r.send(b"a STARTTLS\r\nb LOGIN ana ana-pw\r\n")
    assert r.line() == b"a OK begin TLS negotiation now"
    s = client_ctx().wrap_socket(r.s)
    s.sendall(b"c NOOP\r\n")
    data = b""
    while not data.endswith(b"\r\n"):
        data += s.recv(4096)
    assert data == b"c OK NOOP completed\r\n"
    s.close()


def test_bad_input(site):
    r = site.raw()
    r.line()
    assert r.cmd("a FROB") == b"a BAD unknown command"
    assert r.cmd("b SELECT INBOX") == b"b BAD SELECT is not valid before login"
    assert r.cmd("c NOOP extra") == b"c BAD NOOP takes no argument"
    assert r.cmd("d ID (\"name\")").startswith(b"d BAD ID takes up to 30")
    assert r.cmd("e STARTTLS").startswith(b"e BAD TLS is already active")
    r.send(b"f NOOP\0\r\n")
    assert r.line().startswith(b"f BAD ")
    r.send(b"g LOGIN {70000}\r\n")           # over max_literal: not read
    assert r.line().startswith(b"g NO [TOOBIG] ")
    assert r.cmd("h NOOP") == b"h OK NOOP completed"
    r.send(b"i LOGIN {70000+}\r\n")
    assert r.line().startswith(b"* BYE ")
    assert r.line() == b""
    r = site.raw()
    r.line()
    r.send(b"j NOOP " + b"x" * 70000 + b"\r\n")
    assert r.line().startswith(b"* BYE ")


def test_too_many_errors_and_timeout(workdir, cert):
    with Site(workdir, cert, conf="max_errors 3\nlogin_timeout 2s\n") as s:
        r = s.raw()
        r.line()
        for t in "abc":
            assert r.cmd("%s FROB" % t) == b"%s BAD unknown command" % \
                t.encode()
        assert r.line() == b"* BYE too many bad commands"
        assert r.line() == b""
        r = s.raw()
        r.line()
        t0 = time.monotonic()
        assert r.line() == b"* BYE autologout; idle for too long"
        assert 1.5 < time.monotonic() - t0 < 10
        s.wait_log("result=timeout")
        # A client that never starts the handshake after STARTTLS.
        r = s.raw(tls=False)
        r.line()
        assert r.cmd("d STARTTLS") == b"d OK begin TLS negotiation now"
        assert r.closed()
        s.wait_log('event=tls-failed error="timeout"')
        # Nor before the greeting on the implicit TLS port.
        c = socket.create_connection(("127.0.0.1", s.imaps), timeout=20)
        assert pop3fix.Raw(c).closed()
        s.wait_log('event=tls-failed error="timeout"', count=2)


@pytest.mark.skipif(not buzontest.IS_ROOT, reason="needs root: the drop")
def test_processes_and_users(site):
    """The pre-auth process runs as the daemon's user in the chroot; the
    session as the mail user."""
    import pwd
    c = site.imaps_client()
    c.login("bob", "bob pw")
    daemon = pwd.getpwnam(buzontest.daemon_user()).pw_uid
    bob = USERS["bob"][1]

    def uids():
        try:
            return sorted(buzontest.proc_uid(p) for p in site.children())
        except FileNotFoundError:
            return None
    # The monitor exits once it has passed the session on.
    buzontest.wait_for(lambda: uids() == sorted([daemon, bob]), 10,
                       "the pre-auth and session processes alone")
    for p in site.children():
        if buzontest.proc_uid(p) == daemon:
            assert os.readlink("/proc/%d/root" % p) == \
                os.path.join(site.dir, "empty")
        else:
            assert os.readlink("/proc/%d/root" % p) == "/"
    c.logout()


def test_imaplib_login_on_starttls(site):
    c = site.imap_client()
    c.starttls(ssl_context=client_ctx())
    assert c.login("ana", "ana-pw")[0] == "OK"
    c.logout()
    c = site.imaps_client()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        c.login("ana", "nope")


def test_unsafe_maildir_refuses_the_login(site):
    """A Maildir others may write is not opened: the login is answered
    NO and nothing is touched."""
    md = site.maildir("ana")
    os.chmod(md, 0o777)
    try:
        r = site.raw()
        r.line()
        assert r.cmd("a LOGIN ana ana-pw") == (
            b"a NO [UNAVAILABLE] LOGIN: the mailbox cannot be opened")
        site.wait_log("event=store error=insecure")
    finally:
        os.chmod(md, 0o700)
    assert site.login("ana").logout()[0] == "BYE"


def test_sessions_per_user(workdir, cert):
    """max_sessions_per_user counts logged-in sessions of one user from
    any address; a slot comes free when a session ends."""
    with Site(workdir, cert, conf="max_sessions_per_user 2\n") as s:
        a, b = s.login("ana"), s.login("ana")
        r = s.raw()
        r.line()
        assert r.cmd("x LOGIN ana ana-pw") == (
            b"x NO [LIMIT] LOGIN: too many sessions of this user")
        s.wait_log("event=refused user=ana reason=max_sessions_per_user")
        other = s.login("bob")              # another user is not counted
        a.logout()

        def again():
            try:
                return s.login("ana").logout()[0] == "BYE"
            except imaplib.IMAP4.error:     # a's process not gone yet
                return False
        buzontest.wait_for(again, 10, "a free slot")
        b.logout()
        other.logout()
