"""authd over its real socket: the file backend with each hash scheme,
answers, lookups, tempfail, reload, malformed frames, limits."""

import os
import signal
import time

import pytest

from buzontest import wait_for

from authdwire import (Authd, AUTH, LOOKUP, OK, FAIL, TEMPFAIL, ERROR,
                       auth_frame, field, frame, lookup_frame, mkhash,
                       passwd_line, kill_quietly)

SCHEMES = ("bcrypt", "sha512crypt", "yescrypt")


def users():
    return [passwd_line("ana", mkhash("ana-pw", "bcrypt"), 2001, 2001),
            passwd_line("sha", mkhash("sha-pw", "sha512crypt"), 2002, 2002,
                        "/srv/sha", "Mail", "1000000S,500C"),
            passwd_line("yes", mkhash("yes-pw", "yescrypt"), 2003, 2003,
                        "/srv/yes", "/var/mail/yes/", ""),
            passwd_line("locked", "!" + mkhash("x", "bcrypt"), 2004, 2004)]


@pytest.fixture
def authd(workdir):
    with Authd(workdir, users()) as a:
        yield a


@pytest.mark.parametrize("scheme,user", [("bcrypt", "ana"),
                                         ("sha512crypt", "sha"),
                                         ("yescrypt", "yes")])
def test_hash_schemes(authd, scheme, user):
    c = authd.connect()
    t, f = c.auth(user, user + "-pw")
    assert t == OK, f
    assert f["user"] == user
    t, f = c.auth(user, user + "-pW")
    assert t == FAIL and f["reason"] == "wrong user or password"
    t, f = c.auth(user, "")
    assert t == FAIL
    c.close()
    assert "event=auth service=imap user=%s addr=192.0.2.1 result=ok" % \
        user in authd.log()
    assert "user=%s addr=192.0.2.1 result=fail" % user in authd.log()


def test_record_and_lookup(authd):
    c = authd.connect()
    t, f = c.auth("sha", "sha-pw", service="pop3")
    assert t == OK
    # the file has no full name or delivery instruction: sent empty
    assert f == {"user": "sha", "uid": 2002, "gid": 2002, "home": "/srv/sha",
                 "maildir": "/srv/sha/Mail", "quota": "1000000S,500C",
                 "fullname": "", "delivery": ""}
    # many requests on one connection
    assert c.lookup("ana")[1]["maildir"] == "/home/ana/Maildir"
    assert c.lookup("yes")[1]["maildir"] == "/var/mail/yes/"
    t, f = c.lookup("nosuch")
    assert t == FAIL and f["reason"] == "no such user"
    t, f = c.lookup("ana")
    assert (t, f["uid"], f["gid"], f["home"]) == (OK, 2001, 2001, "/home/ana")
    c.close()


def test_unknown_and_locked_user(authd):
    c = authd.connect()
    assert c.auth("nosuch", "ana-pw")[0] == FAIL
    assert c.auth("locked", "x")[0] == FAIL
    assert c.lookup("locked")[0] == OK      # exists, cannot log in
    c.close()


def test_tempfail_not_fail(workdir):
    """A missing, unreadable or malformed passwd file is TEMPFAIL, and the
    file is read again once it is fixed."""
    a = Authd(workdir, users())
    os.unlink(a.passwd)
    with a:
        c = a.connect()
        t, f = c.auth("ana", "ana-pw")
        assert t == TEMPFAIL and f["reason"] == "backend unavailable"
        assert c.lookup("ana")[0] == TEMPFAIL
        a.write_passwd(users())
        assert c.auth("ana", "ana-pw")[0] == OK
        os.chmod(a.passwd, 0o000)     # authd runs as nobody when root
        assert c.auth("ana", "ana-pw")[0] == TEMPFAIL
        a.write_passwd(users() + ["broken:line\n"])
        assert c.auth("ana", "ana-pw")[0] == TEMPFAIL
        assert c.lookup("nosuch")[0] == TEMPFAIL
        assert "line=6" in a.log()
        a.write_passwd(users() + [passwd_line("new", mkhash("n", "bcrypt"))])
        assert c.auth("new", "n")[0] == OK
        c.close()


def test_chain(workdir):
    """ok wins; a tempfail without an ok is tempfail; else fail."""
    second = os.path.join(workdir, "second")
    with open(second, "w") as f:
        f.write(passwd_line("bob", mkhash("bob-pw", "bcrypt"), 3000, 3000))
    os.chmod(second, 0o644)
    missing = os.path.join(workdir, "missing")
    a = Authd(workdir, users(), backends=["file " + missing,
                                          "file " + os.path.join(workdir,
                                                                 "passwd"),
                                          "file " + second])
    with a:
        c = a.connect()
        assert c.auth("bob", "bob-pw")[0] == OK
        assert c.auth("ana", "ana-pw")[0] == OK
        assert c.auth("bob", "wrong")[0] == TEMPFAIL
        assert c.lookup("nosuch")[0] == TEMPFAIL
        c.close()
    b = Authd(workdir, users(), backends=[
        "file " + os.path.join(workdir, "passwd"), "file " + second])
    with b:
        c = b.connect()
        assert c.auth("bob", "bob-pw")[1]["uid"] == 3000
        assert c.auth("bob", "wrong")[0] == FAIL
        assert c.lookup("nosuch")[0] == FAIL
        c.close()


MALFORMED = [
    ("bad version", frame(LOOKUP, field("user", "ana"), version=2)),
    ("frame too long", frame(AUTH, b"", length=4097)),
    ("NUL in field", lookup_frame("an\0a")),
    ("unknown type", frame(0x33, field("user", "ana"))),
    ("not a request", frame(OK, field("user", "ana"))),
    ("duplicate field", frame(LOOKUP, field("user", "a") +
                              field("user", "b"))),
    ("missing field", frame(AUTH, field("service", "imap") +
                            field("user", "ana") + field("addr", ""))),
    ("unexpected field", frame(LOOKUP, field("user", "a") +
                               field(99, "x"))),
    ("truncated field", frame(LOOKUP, b"\x02\x00\x09ana")),
    ("bad field length", frame(LOOKUP, field("user", "u" * 256))),
    ("bad version", b"GET / HTTP/1.0\r\n\r\n"),
]


@pytest.mark.parametrize("why,data", MALFORMED,
                         ids=[m[0] + str(i) for i, m in enumerate(MALFORMED)])
def test_malformed(authd, why, data):
    c = authd.connect()
    t, f = c.request(data)
    assert t == ERROR and f["reason"] == why
    assert c.at_eof()
    c.close()
    authd.wait_log('event=malformed peer_uid=%d reason="%s"' %
                   (os.geteuid(), why))
    # the daemon still serves everybody else
    c = authd.connect()
    assert c.auth("ana", "ana-pw")[0] == OK
    c.close()


def test_malformed_after_good_requests(authd):
    c = authd.connect()
    assert c.lookup("ana")[0] == OK
    t, f = c.request(lookup_frame("x\0"))
    assert t == ERROR
    assert c.at_eof()


def test_idle_and_truncated_timeout(workdir):
    with Authd(workdir, users(), conf="idle_timeout 1s\n") as a:
        c = a.connect()
        c.send(auth_frame("ana", "ana-pw")[:9])     # a truncated frame
        t0 = time.monotonic()
        t, f = c.recv_frame()
        assert t == ERROR and f["reason"] == "idle timeout"
        assert c.at_eof()
        assert 0.8 < time.monotonic() - t0 < 5
        a.wait_log("event=timeout peer_uid=%d partial=9" % os.geteuid())
        idle = a.connect()
        assert idle.recv_frame()[0] == ERROR         # plain idle too
        ok = a.connect()
        assert ok.auth("ana", "ana-pw")[0] == OK
        ok.close()


def test_peer_closes_midway(authd):
    c = authd.connect()
    c.send(auth_frame("ana", "ana-pw")[:6])
    c.close()
    authd.wait_log('reason="truncated frame"')
    c = authd.connect()
    c.send(auth_frame("ana", "ana-pw"))
    c.close()                                        # leaves before the answer
    c = authd.connect()
    assert c.auth("ana", "ana-pw")[0] == OK


def test_max_clients(workdir):
    with Authd(workdir, users(), conf="max_clients 2\n") as a:
        time.sleep(0.2)         # the start-up probe's close is seen
        c1, c2 = a.connect(), a.connect()
        assert c1.lookup("ana")[0] == OK and c2.lookup("ana")[0] == OK
        c3 = a.connect()
        t, f = c3.recv_frame()
        assert t == ERROR and f["reason"] == "too many clients"
        assert "event=busy" in a.log()
        c3.close()
        c1.close()
        time.sleep(0.2)
        c4 = a.connect()
        assert c4.lookup("ana")[0] == OK
        c2.close()
        c4.close()


def test_worker_death_and_sighup(authd):
    """Killed workers are replaced; SIGHUP reopens the backends."""
    c = authd.connect()
    assert c.auth("ana", "ana-pw")[0] == OK
    old = authd.workers()
    assert len(old) == 4
    for pid in old:
        kill_quietly(pid)
    wait_for(lambda: authd.log().count("status=killed signal=9") == 4, 10,
             "4 dead workers")
    t, _ = c.auth("ana", "ana-pw")
    assert t == OK
    wait_for(lambda: len(authd.workers()) == 4, 10, "4 new workers")
    assert not set(authd.workers()) & set(old)
    os.kill(authd.pid, signal.SIGHUP)
    authd.wait_log("event=reload")
    assert c.auth("yes", "yes-pw")[0] == OK
    c.close()
