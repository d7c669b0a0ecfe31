"""authd's ldap backend when the directory misbehaves, and at scale:
slapd never started, stopped, hung (SIGSTOP) and restarted; StartTLS and
ldapi; 50 concurrent clients x 2,000 auths with no wrong answer; and a
POP3S login of an LDAP user end to end through pop3sd.  Each test has a
slapd of its own, stopped at its end."""

import os
import sys
import time

import pytest

import buzontest
import slapdfix
from slapdfix import ssha, user
from authdwire import Authd, OK, FAIL, TEMPFAIL, hammer

pytestmark = pytest.mark.skipif(slapdfix.available() is not None,
                                reason=str(slapdfix.available()))

TIMEOUT = 2             # LDAP_TIMEOUT of these tests, seconds
RC = slapdfix.RC_HEAD + """LDAP_CRYPTPW          userPassword
LDAP_TIMEOUT          %d
LDAP_BACKOFF_MAX      1
""" % TIMEOUT
CONF = "throttle_after 1000\nworkers 2\n"


@pytest.fixture
def slapd(workdir):
    s = slapdfix.Slapd(workdir)
    try:
        yield s
    finally:
        s.stop()


def loaded(slapd, *users):
    slapd.start()
    slapd.add("".join(users or [user("ana", ssha("ana-pw"))]))
    return slapd


def ldap_authd(workdir, slapd, rc=RC, conf=CONF):
    path = slapd.authldaprc(os.path.join(workdir, "authldaprc"), rc)
    return Authd(workdir, backends=["ldap " + path], conf=conf)


def timed_auth(c, login="ana", pw="ana-pw"):
    t0 = time.monotonic()
    t = c.auth(login, pw)[0]
    return t, time.monotonic() - t0


def test_never_started(workdir, slapd):
    """Nothing listens: TEMPFAIL at once, for auth and lookup, and one
    status=down line per worker, not one per request."""
    with ldap_authd(workdir, slapd) as a:
        c = a.connect()
        for _ in range(5):
            t, took = timed_auth(c)
            assert t == TEMPFAIL and took < 1.0, took
            assert c.lookup("ana")[0] == TEMPFAIL
        c.close()
        assert 1 <= a.log().count("status=down") <= 2, a.log()
        assert "result=tempfail" in a.log()


def test_hung_directory_within_timeout(workdir, slapd):
    """A server that accepts and never answers (SIGSTOP) costs at most
    LDAP_TIMEOUT, answered TEMPFAIL; once it answers again, so does
    authd, without a restart."""
    loaded(slapd)
    with ldap_authd(workdir, slapd) as a:
        c = a.connect()
        assert c.auth("ana", "ana-pw")[0] == OK
        slapd.pause()
        try:
            for login in ("ana", "bob"):
                t, took = timed_auth(c, login)
                assert t == TEMPFAIL
                assert took < TIMEOUT + 0.5, took
        finally:
            slapd.resume()
        buzontest.wait_for(lambda: c.auth("ana", "ana-pw")[0] == OK,
                           TIMEOUT + 3, "recovery")
        c.close()


def test_hung_during_bind(workdir, slapd):
    """The same in LDAP_AUTHBIND mode: a new connection to a hung server
    (TCP accepted by the kernel, no LDAP answer) times out too."""
    loaded(slapd)
    rc = RC.replace("LDAP_CRYPTPW          userPassword\n",
                    "LDAP_AUTHBIND 1\n")
    with ldap_authd(workdir, slapd, rc=rc, conf=CONF.replace("2", "1")) \
            as a:
        c = a.connect()
        slapd.pause()
        try:
            t, took = timed_auth(c)
            assert t == TEMPFAIL and took < TIMEOUT + 0.5, took
        finally:
            slapd.resume()
        buzontest.wait_for(lambda: c.auth("ana", "ana-pw")[0] == OK,
                           TIMEOUT + 3, "recovery")
        assert c.auth("ana", "nope")[0] == FAIL
        c.close()


@pytest.mark.parametrize("authbind", [False, True])
def test_restart_recovers(workdir, slapd, authbind):
    """slapd stopped: TEMPFAIL, never FAIL; restarted over the same
    database: the persistent connections are opened again (backoff at
    most LDAP_BACKOFF_MAX) and the same authd answers OK."""
    loaded(slapd)
    rc = RC if not authbind else RC.replace(
        "LDAP_CRYPTPW          userPassword\n", "LDAP_AUTHBIND 1\n")
    with ldap_authd(workdir, slapd, rc=rc) as a:
        c = a.connect()
        for _ in range(4):              # both workers hold connections
            assert c.auth("ana", "ana-pw")[0] == OK
        slapd.stop()
        for _ in range(4):
            t, took = timed_auth(c)
            assert t == TEMPFAIL and took < 1.0, took
        slapd.start()
        t0 = time.monotonic()
        buzontest.wait_for(lambda: c.auth("ana", "ana-pw")[0] == OK, 5,
                           "recovery")
        assert time.monotonic() - t0 < 2.5
        for _ in range(6):              # every worker is back
            assert c.auth("ana", "ana-pw")[0] == OK
            assert c.auth("ana", "wrong")[0] == FAIL
        c.close()
        a.wait_log("status=up")
        assert a.workers() and len(a.workers()) == 2


def test_restart_between_requests_is_invisible(workdir, slapd):
    """A connection the server closed (restart while idle) is opened
    again within the same request: the client sees no TEMPFAIL."""
    loaded(slapd)
    with ldap_authd(workdir, slapd, conf=CONF.replace("2", "1")) as a:
        c = a.connect()
        assert c.auth("ana", "ana-pw")[0] == OK
        slapd.stop()
        slapd.start()
        assert c.auth("ana", "ana-pw")[0] == OK
        assert c.lookup("ana")[0] == OK
        c.close()
        assert "status=down" not in a.log()


def test_starttls_and_ldapi(workdir):
    s = slapdfix.Slapd(workdir, tls=True, stats=True)
    try:
        loaded(s)
        tls = RC + "LDAP_TLS 1\nLDAP_TLS_CACERT {cacert}\n"
        with ldap_authd(workdir, s, rc=tls) as a:
            c = a.connect()
            assert c.auth("ana", "ana-pw")[0] == OK
            c.close()
        assert "STARTTLS" in s.logtext()
        assert "TLS established" in s.logtext()
        # a certificate authd cannot verify: no clear text fallback
        other = os.path.join(workdir, "other")
        os.mkdir(other)
        ca, _ = slapdfix.make_ip_cert(other)
        with ldap_authd(workdir, s, rc=tls.replace("{cacert}", ca)) as a:
            c = a.connect()
            assert c.auth("ana", "ana-pw")[0] == TEMPFAIL
            c.close()
            a.wait_log("status=down op=connect")
        ldapi = RC.replace("{uri}", "{ldapi}")
        with ldap_authd(workdir, s, rc=ldapi) as a:
            c = a.connect()
            assert c.auth("ana", "ana-pw")[0] == OK
            c.close()
        assert "PROTO_LDAPI" in s.logtext() or "ldapi" in s.logtext()
    finally:
        s.stop()


CLIENTS = 50
PER_CLIENT = 2000


def test_concurrent_clients(workdir, slapd):
    """50 clients x 2,000 auths, right and wrong passwords mixed, each
    user its own uid: every answer is the right one.  Compare mode with
    {SSHA}, the cheapest real scheme, so the run takes tens of seconds
    and measures authd + slapd, not a password hash."""
    users = [user("u%02d" % i, ssha("pw%02d" % i), uidnum=3000 + i,
                  gidnum=3000 + i) for i in range(CLIENTS)]
    loaded(slapd, *users)
    with ldap_authd(workdir, slapd, conf="throttle_after 1000\n"
                    "workers 4\nmax_clients 100\n") as a:
        t0 = time.monotonic()
        errors, done = hammer(a, CLIENTS, PER_CLIENT, 240)
        took = time.monotonic() - t0
    assert not errors, errors[:5]
    assert done == CLIENTS * PER_CLIENT
    sys.stderr.write("%d auths in %.1fs\n" % (done, took))


def test_pop3s_login(workdir, slapd):
    """An LDAP user logs in over POP3S and reads a message from the
    Maildir named by the directory."""
    sys.path.insert(0, os.path.join(buzontest.ROOT, "regress", "pop3sd"))
    from pop3fix import Site
    cert = buzontest.make_cert(workdir)
    site = Site(workdir, cert)
    home = site.homes["ana"]            # a Maildir owned by uid 2001
    loaded(slapd, user("ana", ssha("ldap secret"), uidnum=2001,
                       gidnum=2001, home=home))
    path = slapd.authldaprc(os.path.join(workdir, "authldaprc"), RC)
    site.authd = Authd(workdir, backends=["ldap " + path], conf=CONF)
    try:
        site.put(b"Subject: from ldap\n\nhello ldap\n")
        site.start()
        c = site.pop3s_client()
        c.user("ana")
        assert c.pass_("ldap secret").startswith(b"+OK")
        count, size = c.stat()
        assert count == 1
        lines = c.retr(1)[1]
        assert b"hello ldap" in lines
        c.quit()
        bad = site.pop3s_client()
        bad.user("ana")
        with pytest.raises(Exception):
            bad.pass_("ana-pw")             # the file password: not here
        bad.close()
    finally:
        site.stop()
    log = site.authd.log()
    assert "service=pop3 user=ana addr=127.0.0.1 result=ok" in log, log
