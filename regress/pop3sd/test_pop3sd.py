"""pop3sd over real sockets: every command, pipelining, CAPA, UIDL
stability and the uid list, new/ to cur/, DELE only at QUIT, RSET, TOP,
byte-exact RETR, [IN-USE], AUTH PLAIN, STLS, limits and time-outs."""

import base64
import os
import poplib
import re
import socket
import time

import pytest

import buzontest
from pop3fix import Raw, Site


@pytest.fixture
def site(workdir, cert):
    s = Site(workdir, cert)
    yield s
    s.stop()


def started(workdir, cert, **kw):
    return Site(workdir, cert, **kw)


MSG1 = b"Subject: one\n\nhello\n"
MSG2 = (b"Subject: two\r\nX: y\n\n.leading dot\n..two dots\n.\n"
        b"crlf line\r\nbare cr\r in line\nlast line no newline")
# What RETR must send for MSG2: CRLF everywhere, dots doubled, an end.
WIRE2 = (b"Subject: two\r\nX: y\r\n\r\n..leading dot\r\n...two dots\r\n"
         b"..\r\ncrlf line\r\nbare cr\r in line\r\n"
         b"last line no newline\r\n.\r\n")


def crlf(msg):
    """The message as POP3 sends it, before dot-stuffing."""
    out = msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return out if out.endswith(b"\r\n") else out + b"\r\n"


def uidlist(site, user="ana"):
    with open(os.path.join(site.maildir(user), "buzon-uidlist")) as f:
        lines = f.read().splitlines()
    head = lines[0].split()
    assert head[:2] == ["buzon-uidlist", "1"]
    entries = {}
    for line in lines[1:]:
        w = line.split()
        entries[w[1]] = (int(w[0]), [x for x in w[2:]])
    return int(head[2]), int(head[3]), entries


def test_capa_and_every_command(site):
    n1 = site.put(MSG1)
    site.put(MSG2)
    site.start()
    r = site.raw()
    assert r.line().startswith(b"+OK")
    assert r.cmd("CAPA") == b"+OK Capability list follows"
    capa = r.multi()
    for c in (b"TOP", b"UIDL", b"RESP-CODES", b"AUTH-RESP-CODE",
              b"PIPELINING", b"USER", b"SASL PLAIN"):
        assert c in capa
    assert b"STLS" not in capa          # TLS already
    assert r.cmd("STAT").startswith(b"-ERR")      # wrong state
    assert r.cmd("NOOP").startswith(b"-ERR")
    assert r.cmd("PASS x").startswith(b"-ERR")    # USER first
    assert r.cmd("USER ana") .startswith(b"+OK")
    assert r.cmd("PASS ana-pw").startswith(b"+OK")
    assert r.cmd("USER ana").startswith(b"-ERR")  # wrong state
    assert r.cmd("CAPA").startswith(b"+OK")
    capa = r.multi()
    assert b"USER" not in capa and b"STLS" not in capa
    st = r.cmd("STAT")
    size1, size2 = len(crlf(MSG1)), len(crlf(MSG2))
    assert st == b"+OK 2 %d" % (size1 + size2)
    assert r.cmd("LIST") .startswith(b"+OK")
    assert r.multi() == [b"1 %d" % size1, b"2 %d" % size2]
    assert r.cmd("LIST 2") == b"+OK 2 %d" % size2
    assert r.cmd("LIST 3").startswith(b"-ERR")
    assert r.cmd("LIST x").startswith(b"-ERR")
    assert r.cmd("UIDL").startswith(b"+OK")
    uidls = r.multi()
    v, nxt, ent = uidlist(site)
    assert uidls[0] == b"1 %d-%d" % (v, ent[n1][0])
    assert r.cmd("UIDL 1") == b"+OK " + uidls[0]
    assert r.cmd("NOOP").startswith(b"+OK")
    assert r.cmd("DELE 1").startswith(b"+OK")
    assert r.cmd("DELE 1").startswith(b"-ERR")
    assert r.cmd("RETR 1").startswith(b"-ERR")
    assert r.cmd("LIST 1").startswith(b"-ERR")
    assert r.cmd("STAT") == b"+OK 1 %d" % size2
    assert r.cmd("RSET").startswith(b"+OK")
    assert r.cmd("STAT") == b"+OK 2 %d" % (size1 + size2)
    assert r.cmd("TOP 1").startswith(b"-ERR")
    assert r.cmd("RETR").startswith(b"-ERR")
    assert r.cmd("bogus").startswith(b"-ERR")
    assert r.cmd("QUIT").startswith(b"+OK")
    assert r.closed()
    assert len(os.listdir(os.path.join(site.maildir(), "cur"))) == 2
    site.wait_log("event=logout user=ana addr=127.0.0.1 tls=yes method=user "
                  "result=quit")
    assert re.search(r"pop3 session=[0-9a-f]{16} event=connect addr=127\.0"
                     r"\.0\.1 port=\d+ local_port=\d+ tls=yes", site.log())


def test_retr_byte_exact_and_top(site):
    site.put(MSG2)
    site.start()
    r = site.raw()
    r.line()
    r.cmd("USER ana")
    r.cmd("PASS ana-pw")
    head = r.cmd("RETR 1")
    assert head.startswith(b"+OK")
    data = b""
    while not data.endswith(b"\r\n.\r\n"):
        data += r.s.recv(65536) if not r.buf else r.buf
        r.buf = b""
    assert data == WIRE2
    # TOP 0: the header and the empty line; TOP 2: two body lines
    assert r.cmd("TOP 1 0").startswith(b"+OK")
    assert r.multi() == [b"Subject: two", b"X: y", b""]
    assert r.cmd("TOP 1 2").startswith(b"+OK")
    assert r.multi() == [b"Subject: two", b"X: y", b"", b"..leading dot",
                         b"...two dots"]
    assert r.cmd("TOP 1 100").startswith(b"+OK")
    assert len(r.multi()) == 9
    r.cmd("QUIT")
    site.wait_log("retr=1 top=3")


def test_new_to_cur_and_uidl_stable(site):
    a = site.put(MSG1)
    site.deliver(b"Subject: delivered\n\nby maildeliver\n")
    site.start()
    c = site.login()
    u1 = c.uidl()[1]
    c.quit()
    md = site.maildir()
    assert os.listdir(os.path.join(md, "new")) == []
    cur = os.listdir(os.path.join(md, "cur"))
    assert len(cur) == 2 and all(n.endswith(":2,") for n in cur)
    assert a + ":2," in cur
    b = site.put(MSG2)
    c = site.login()
    u2 = c.uidl()[1]
    c.quit()
    assert u2[:2] == u1
    v, nxt, ent = uidlist(site)
    assert u2[2] == b"3 %d-%d" % (v, ent[b][0])
    assert ent[b][0] == 3 and nxt == 4
    assert ent[a][0] == 1
    # sizes are kept in the uid list
    assert ent[a][1] == ["V%d" % (len(MSG1) + MSG1.count(b"\n"))]


def test_dele_only_at_quit(site):
    names = [site.put(MSG1), site.put(MSG2), site.put(MSG1)]
    site.start()
    cur = os.path.join(site.maildir(), "cur")
    c = site.login()
    c.dele(1)
    c.dele(3)
    assert len(os.listdir(cur)) == 3
    resp = c.quit()
    assert b"2 messages removed" in resp
    assert os.listdir(cur) == [names[1] + ":2,"]
    site.wait_log("dele=2")
    # a dropped connection deletes nothing
    r = site.raw()
    r.line()
    r.cmd("USER ana")
    assert r.cmd("PASS ana-pw").startswith(b"+OK")
    assert r.cmd("DELE 1").startswith(b"+OK")
    r.close()
    site.wait_log("result=dropped")
    assert os.listdir(cur) == [names[1] + ":2,"]
    # RSET then QUIT deletes nothing either
    c = site.login()
    c.dele(1)
    c.rset()
    c.quit()
    assert os.listdir(cur) == [names[1] + ":2,"]


def test_in_use(site):
    site.put(MSG1)
    site.start()
    c = site.login()
    c2 = site.pop3s_client()
    c2.user("ana")
    with pytest.raises(poplib.error_proto) as e:
        c2.pass_("ana-pw")
    assert e.value.args[0].startswith(b"-ERR [IN-USE]")
    other = site.login("bob")          # another user is fine
    other.quit()
    c.quit()
    c3 = site.login()
    assert c3.stat()[0] == 1
    c3.quit()
    assert "event=in-use user=ana" in site.log()


def test_auth_plain(site):
    site.put(MSG1)
    site.start()
    tok = base64.b64encode(b"\0bob\0bob pw").decode()
    r = site.raw()
    r.line()
    assert r.cmd("AUTH PLAIN " + tok).startswith(b"+OK")
    assert r.cmd("STAT") == b"+OK 0 0"
    r.cmd("QUIT")
    # without the initial response, then a continuation
    r = site.raw()
    r.line()
    assert r.cmd("AUTH PLAIN") == b"+ "
    assert r.cmd(base64.b64encode(b"ana\0ana\0ana-pw").decode()) \
        .startswith(b"+OK")
    r.cmd("QUIT")
    # "=" is an empty response: no credentials in it
    r = site.raw()
    r.line()
    assert r.cmd("AUTH PLAIN =").startswith(b"-ERR [AUTH]")
    assert r.cmd("AUTH PLAIN") == b"+ "
    assert r.cmd("*").startswith(b"-ERR")
    assert r.cmd("AUTH PLAIN " + base64.b64encode(
        b"\0ana\0wrong").decode()).startswith(b"-ERR [AUTH]")
    assert r.cmd("AUTH PLAIN " + base64.b64encode(
        b"bob\0ana\0ana-pw").decode()).startswith(b"-ERR [AUTH]")
    assert r.cmd("AUTH PLAIN !!!").startswith(b"-ERR [AUTH]")
    assert r.cmd("AUTH CRAM-MD5").startswith(b"-ERR")
    assert r.cmd("AUTH").startswith(b"+OK")
    assert r.multi() == [b"PLAIN"]
    r.cmd("QUIT")
    assert "event=login user=bob addr=127.0.0.1 tls=yes method=plain" in \
        site.log()


def test_authorization_bounds_and_log(site):
    """The line after AUTH's "+ " is bounded by max_auth_line (2048):
    over it, or with a NUL, it is -ERR and the session goes on; a failed
    login is logged with the name made visible; an STLS whose handshake
    fails ends the connection, logged."""
    site.start()
    r = site.raw()
    r.line()
    assert r.cmd("AUTH PLAIN") == b"+ "
    assert r.cmd("A" * 3000) == b"-ERR [AUTH] response too long or " \
                                b"holding NUL"
    assert r.cmd("AUTH PLAIN") == b"+ "
    r.send(b"AGFu\0YQBhbmEtcHc=\r\n")
    assert r.line() == b"-ERR [AUTH] response too long or holding NUL"
    assert r.cmd('USER an\x01"a').startswith(b"+OK")
    assert r.cmd("PASS wrong").startswith(b"-ERR [AUTH]")
    assert r.cmd("AUTH PLAIN " + base64.b64encode(b"\0ana\0ana-pw")
                 .decode()).startswith(b"+OK")
    r.cmd("QUIT")
    site.wait_log('event=login-failed user=an\\001\\042a method=user '
                  'result=fail')
    r = site.raw(tls=False)
    r.line()
    assert r.cmd("STLS").startswith(b"+OK")
    r.send(b"no TLS hello here\r\n" * 8)
    assert r.closed() and r.buf == b""
    site.wait_log("event=tls-failed error=")
    site.wait_log("event=disconnect state=authorization result=tls-failed")
    # The same on the implicit TLS port.
    r = Raw(socket.create_connection(("127.0.0.1", site.pop3s), timeout=20))
    r.send(b"no TLS hello here\r\n" * 8)
    assert r.closed()
    site.wait_log("event=disconnect state=authorization result=tls-failed",
                  count=2)


def test_wrong_password_and_authd_down(site):
    site.start()
    c = site.pop3s_client()
    c.user("ana")
    with pytest.raises(poplib.error_proto) as e:
        c.pass_("nope")
    assert e.value.args[0].startswith(b"-ERR [AUTH]")
    c.user("nosuch")
    with pytest.raises(poplib.error_proto) as e:
        c.pass_("nope")
    assert e.value.args[0].startswith(b"-ERR [AUTH]")
    c.user("ana")
    c.pass_("ana-pw")
    c.quit()
    site.authd.stop()
    c = site.pop3s_client()
    c.user("ana")
    with pytest.raises(poplib.error_proto) as e:
        c.pass_("ana-pw")
    assert e.value.args[0].startswith(b"-ERR [SYS/TEMP]")
    c.close()


def test_plaintext_refused_then_stls(workdir, cert):
    s = Site(workdir, cert, plaintext=None)
    s.put(MSG1)
    s.start()
    try:
        c = s.pop3_client()
        capa = c.capa()
        assert "STLS" in capa and "USER" not in capa and "SASL" not in capa
        with pytest.raises(poplib.error_proto) as e:
            c.user("ana")
        assert e.value.args[0].startswith(b"-ERR [AUTH]")
        with pytest.raises(poplib.error_proto) as e:
            c._shortcmd("AUTH PLAIN " + base64.b64encode(
                b"\0ana\0ana-pw").decode())
        assert e.value.args[0].startswith(b"-ERR [AUTH]")
        c.stls(context=__import__("pop3fix").client_ctx())
        capa = c.capa()
        assert "USER" in capa and "STLS" not in capa
        c.user("ana")
        c.pass_("ana-pw")
        assert c.stat()[0] == 1
        c.quit()
        assert "tls=yes method=user" in s.log()
    finally:
        s.stop()


def test_stls_discards_pipelined_plaintext(site):
    site.start()
    r = site.raw(tls=False)
    r.line()
    capa = (r.cmd("CAPA"), r.multi())
    assert b"STLS" in capa[1]
    # STLS and a USER in one packet: the USER must not survive
    r.send(b"STLS\r\nUSER ana\r\n")
    assert r.line().startswith(b"+OK")
    assert r.buf == b""
    from pop3fix import client_ctx, Raw
    t = Raw(client_ctx().wrap_socket(r.s))
    assert t.cmd("PASS ana-pw").startswith(b"-ERR")     # USER was dropped
    assert t.cmd("STLS").startswith(b"-ERR")
    assert t.cmd("USER ana").startswith(b"+OK")
    assert t.cmd("PASS ana-pw").startswith(b"+OK")
    t.cmd("QUIT")


def test_plain_port_login_from_plaintext_network(site):
    site.put(MSG1)
    site.start()
    c = site.login(tls=False)
    assert c.stat()[0] == 1
    c.quit()
    assert "tls=no method=user" in site.log()


def test_pipelining(site):
    for i in range(3):
        site.put(MSG1 + b"n%d\n" % i)
    site.start()
    r = site.raw()
    r.line()
    # the login and what follows it in one write: the pre-auth process
    # must hand over what it read past PASS
    r.send(b"USER ana\r\nPASS ana-pw\r\nSTAT\r\nLIST\r\nUIDL 2\r\n"
           b"RETR 3\r\nDELE 1\r\nNOOP\r\nQUIT\r\n")
    assert r.line() == b"+OK send PASS"
    assert r.line().startswith(b"+OK ana has 3 messages")
    assert r.line().startswith(b"+OK 3 ")
    assert r.line().startswith(b"+OK")
    assert len(r.multi()) == 3
    assert r.line().startswith(b"+OK 2 ")
    assert r.line().startswith(b"+OK")
    assert r.multi()[-1] == b"n2"
    assert r.line().startswith(b"+OK message 1 deleted")
    assert r.line().startswith(b"+OK")
    assert r.line().startswith(b"+OK bye, 1 messages removed")
    assert r.closed()


def test_bad_lines_and_too_many_errors(workdir, cert):
    s = Site(workdir, cert, conf="max_errors 4\n")
    s.start()
    try:
        r = s.raw()
        r.line()
        assert r.cmd("CAPA " + "x" * 300).startswith(b"-ERR line too long")
        assert r.cmd("CAPA").startswith(b"+OK")          # still usable
        r.multi()
        assert r.cmd("CA\0PA").startswith(b"-ERR NUL")
        assert r.cmd("XYZZY").startswith(b"-ERR")
        assert r.cmd("XYZZY").startswith(b"-ERR unknown")
        assert r.line().startswith(b"-ERR too many errors")
        assert r.closed()
        # failed logins count too
        r = s.raw()
        r.line()
        for i in range(3):
            r.cmd("USER ana")
            assert r.cmd("PASS bad").startswith(b"-ERR [AUTH]")
        r.cmd("USER ana")
        r.cmd("PASS bad")
        assert r.closed()
    finally:
        s.stop()


def test_timeouts(workdir, cert):
    s = Site(workdir, cert, conf="login_timeout 1s\ntimeout 2s\n")
    s.put(MSG1)
    s.start()
    try:
        r = s.raw()
        r.line()
        t = time.monotonic()
        assert r.line().startswith(b"-ERR autologout")
        assert r.closed()
        assert time.monotonic() - t < 5
        r = s.raw()
        r.line()
        r.cmd("USER ana")
        assert r.cmd("PASS ana-pw").startswith(b"+OK")
        assert r.cmd("DELE 1").startswith(b"+OK")
        assert r.line().startswith(b"-ERR autologout")
        assert r.closed()
        s.wait_log("result=timeout")
        assert len(os.listdir(os.path.join(s.maildir(), "cur"))) == 1
        # A client that never starts the handshake after STLS.
        r = s.raw(tls=False)
        r.line()
        assert r.cmd("STLS").startswith(b"+OK")
        assert r.closed()
        s.wait_log('event=tls-failed error="timeout"')
        # Nor before the greeting on the implicit TLS port.
        r = Raw(socket.create_connection(("127.0.0.1", s.pop3s), timeout=20))
        assert r.closed()
        s.wait_log('event=tls-failed error="timeout"', count=2)
    finally:
        s.stop()


def test_session_limits(workdir, cert):
    s = Site(workdir, cert, conf="max_sessions_per_addr 1\n")
    s.start()
    try:
        r = s.raw(tls=False)
        assert r.line().startswith(b"+OK")
        r2 = s.raw(tls=False)
        assert r2.line().startswith(b"-ERR [SYS/TEMP]")
        assert r2.closed()
        r.cmd("QUIT")
        assert r.closed()
        s.wait_log("event=disconnect")
        buzontest.wait_for(lambda: _greets(s), 10, "a free slot")
        assert "reason=max_sessions_per_addr" in s.log()
    finally:
        s.stop()


def _greets(s):
    r = s.raw(tls=False)
    ok = r.line().startswith(b"+OK")
    r.close()
    return ok


def test_courier_migrated_maildir_keeps_uidls(site):
    md = site.maildir()
    names = ["1600000000.M1P1.old,S=20", "1600000001.M2P1.old,S=20",
             "1600000002.M3P1.old", "1600000003.M4P1.old"]
    for i, n in enumerate(names):
        site.put(MSG1, sub="cur", name=n, info=":2,S" if i < 2 else ":2,")
    with open(os.path.join(md, "courierimapuiddb"), "w") as f:
        f.write("1 1599999999 40\n30 %s:2,S\n31 %s:2,S\n32 %s:2,\n" %
                tuple(names[:3]))
    with open(os.path.join(md, "courierpop3dsizelist"), "w") as f:
        f.write("/3 9 1599999999\n%s:2,S 30 30:1599999999:0\n"
                "%s:2,S 30 7:1500000000:0\n%s:2, 30 0:1599999999:0\n" %
                tuple(names[:3]))
    if buzontest.IS_ROOT:
        for n in ("courierimapuiddb", "courierpop3dsizelist"):
            os.chown(os.path.join(md, n), 2001, 2001)
    new = site.put(MSG2)
    site.start()
    c = site.login()
    got = [x.split()[1] for x in c.uidl()[1]]
    c.quit()
    assert got == [b"UID30-1599999999", b"UID7-1500000000",
                   names[2].encode(), b"1599999999-40",
                   b"1599999999-41"]
    v, nxt, ent = uidlist(site)
    assert v == 1599999999 and nxt == 42
    assert ent[names[0]][0] == 30 and ent[new][0] == 41
    assert "event=uidlist-migrated uidvalidity=1599999999" in site.log()
    # a second session reads the uid list, not courier's files
    os.unlink(os.path.join(md, "courierimapuiddb"))
    c = site.login()
    assert [x.split()[1] for x in c.uidl()[1]] == got
    c.quit()


def test_flags_changed_by_another_client(site):
    """A message renamed in cur/ (flags set by an IMAP client) during the
    session is still retrieved and deleted by its base name."""
    name = site.put(MSG1)
    site.put(MSG2)
    site.start()
    c = site.login()
    cur = os.path.join(site.maildir(), "cur")
    os.rename(os.path.join(cur, name + ":2,"),
              os.path.join(cur, name + ":2,FS"))
    assert c.retr(1)[1] == [b"Subject: one", b"", b"hello"]
    c.dele(1)
    c.quit()
    assert len(os.listdir(cur)) == 1 and \
        not os.listdir(cur)[0].startswith(name)
    site.login().quit()         # the next scan drops its entry
    _, _, ent = uidlist(site)
    assert name not in ent and len(ent) == 1


def test_unsafe_or_missing_maildrop(site):
    site.start()
    md = site.maildir()
    os.chmod(md, 0o777)
    c = site.pop3s_client()
    c.user("ana")
    with pytest.raises(poplib.error_proto) as e:
        c.pass_("ana-pw")
    assert e.value.args[0].startswith(b"-ERR [SYS/PERM]")
    site.wait_log("event=maildrop error=insecure")
    os.chmod(md, 0o700)
    os.rename(md, md + ".away")
    c = site.pop3s_client()
    c.user("ana")
    with pytest.raises(poplib.error_proto) as e:
        c.pass_("ana-pw")
    assert e.value.args[0].startswith(b"-ERR [SYS/TEMP]")
