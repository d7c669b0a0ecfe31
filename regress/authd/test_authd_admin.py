"""authd's configuration check and its documentation, authtest, the peer
check, the privilege drop and the passwd backend."""

import functools
import os
import subprocess

import pytest

import buzontest
from buzontest import proc_uids
from authdwire import Authd, Conn, OK, FAIL, ERROR, mkhash, passwd_line

MANPAGE = os.path.join(buzontest.ROOT, "authd", "authd.conf.5")


def users():
    return [passwd_line("ana", mkhash("ana-pw", "bcrypt"), 2001, 2001,
                        quota="5000S")]


authd_n = functools.partial(buzontest.check_config, "authd")


GOOD = """# sample
socket /tmp/x.sock
socket_group ""
user %s
backend file /etc/buzon/passwd
backend passwd
allow 0 root
workers 2
throttle_max 1m
""" % ("nobody" if buzontest.IS_ROOT else "whoever")


def test_check_good_config(workdir):
    out = buzontest.accepted_config("authd", workdir, GOOD)
    assert 'backend file "/etc/buzon/passwd"\nbackend passwd\n' in out
    assert "throttle_max 60s" in out
    assert "allow 0 root" in out


@pytest.mark.parametrize("line,msg", [
    ("bogus 1", "unknown keyword bogus"),
    ("idle_timeout 0", "out of range"),
    ("max_clients many", "bad value"),
    ("backend nosuch x", "unknown backend nosuch"),
    ("backend file", "takes 1 to 1 arguments"),
    ("backend file relative/path", "not an absolute path"),
    ("backend passwd extra", "takes 0 to 0 arguments"),
    ("allow no-such-user-xyz", "no such user no-such-user-xyz"),
    ("socket_mode 999", "bad value"),
])
def test_check_bad_config(workdir, line, msg):
    buzontest.assert_refused("authd", workdir, GOOD, line, msg,
                             at_line="no such user" not in msg)


def test_every_keyword_documented(workdir):
    printed = buzontest.printed_keywords("authd", workdir, GOOD)
    buzontest.assert_documented(printed, MANPAGE, 15)


def authtest(a, *args, stdin=None):
    return subprocess.run([buzontest.binary("authtest"), "-f", a.sock] +
                          list(args), capture_output=True, text=True,
                          input=stdin, timeout=60)


def test_authtest(workdir):
    with Authd(workdir, users()) as a:
        r = authtest(a, "ana", "ana-pw")
        assert r.returncode == 0, r.stderr
        assert r.stdout == ("user: ana\nuid: 2001\ngid: 2001\n"
                            "home: /home/ana\nmaildir: /home/ana/Maildir\n"
                            "quota: 5000S\nfullname: \ndelivery: \n")
        r = authtest(a, "-s", "pop3", "ana", "-", stdin="ana-pw\n")
        assert r.returncode == 0, r.stderr
        r = authtest(a, "ana")
        assert r.returncode == 0 and "uid: 2001" in r.stdout
        r = authtest(a, "ana", "bad")
        assert r.returncode == 77 and "wrong password" in r.stderr
        assert r.stdout == ""
        r = authtest(a, "nosuch", "x")
        assert r.returncode == 67 and "no such user" in r.stderr
        r = authtest(a, "nosuch")
        assert r.returncode == 67
        assert "service=pop3 user=ana" in a.log()
        os.unlink(a.passwd)
        r = authtest(a, "ana", "ana-pw")
        assert r.returncode == 75 and "backend unavailable" in r.stderr
    r = authtest(a, "ana", "ana-pw")            # authd is gone
    assert r.returncode == 75 and "cannot reach authd" in r.stderr
    r = subprocess.run([buzontest.binary("authtest")], capture_output=True,
                       text=True)
    assert r.returncode == 64 and "usage" in r.stderr


def child_connect(path, uid, gid):
    """Connects as another uid (in a child) and returns the answer: type,
    reason and whether authd then closed, or what went wrong."""
    def lookup():
        c = Conn(path, timeout=10)
        t, f = c.lookup("ana")
        eof = c.at_eof() if t == ERROR else 0
        return ("%d %s %d" % (t, f.get("reason", ""), eof)).encode()
    return buzontest.run_as(uid, gid, lookup)[1]


@pytest.mark.skipif(not buzontest.IS_ROOT,
                    reason="needs root: connects as another uid")
def test_denied_peer_and_allow(workdir):
    with Authd(workdir, users(), conf="socket_mode 0666\n") as a:
        out = child_connect(a.sock, 1, 1)           # daemon(1)
        assert out == "%d peer not allowed 1" % ERROR, out
        a.wait_log("event=denied peer_uid=1")
        c = a.connect()                              # root is allowed
        assert c.lookup("ana")[0] == OK
        c.close()
    with Authd(workdir, users(), conf="socket_mode 0666\nallow daemon\n") \
            as a:
        out = child_connect(a.sock, 1, 1)
        assert out.startswith("%d " % OK), out


@pytest.mark.skipif(not buzontest.IS_ROOT,
                    reason="needs root: the privilege drop is skipped "
                    "otherwise")
def test_privilege_drop(workdir):
    nobody = buzontest.unprivileged_user()[0]
    with Authd(workdir, users()) as a:
        # The socket answers before the start line is written.
        a.wait_log("event=start")
        assert proc_uids(a.pid) == [nobody] * 4
        for w in a.workers():
            assert proc_uids(w) == [nobody] * 4
        st = os.stat(a.sock)
        assert st.st_mode & 0o777 == 0o660


TESTUSER = "buzontst%d" % (os.getpid() % 100000)
GECOS = "Sys T\u00e9ster,Room 1,555-0100,555-0199"


@pytest.fixture
def system_user():
    subprocess.run(["useradd", "-M", "-d", "/home/" + TESTUSER, "-s",
                    "/usr/sbin/nologin", "-c", GECOS, TESTUSER], check=True)
    try:
        subprocess.run(["chpasswd"], input="%s:Sys-Pw-42\n" % TESTUSER,
                       text=True, check=True)
        yield TESTUSER
    finally:
        subprocess.run(["userdel", TESTUSER], check=False)


@pytest.mark.skipif(not buzontest.IS_ROOT,
                    reason="needs root: creates a throwaway system user")
def test_passwd_backend(workdir, system_user):
    import pwd
    pw = pwd.getpwnam(system_user)
    with Authd(workdir, backends=["passwd"]) as a:
        c = a.connect()
        t, f = c.auth(system_user, "Sys-Pw-42")
        assert t == OK, f
        # the full name is the GECOS field up to its first comma
        assert f == {"user": system_user, "uid": pw.pw_uid,
                     "gid": pw.pw_gid, "home": "/home/" + system_user,
                     "maildir": "/home/%s/Maildir" % system_user,
                     "quota": "", "fullname": "Sys T\u00e9ster",
                     "delivery": ""}
        assert c.auth(system_user, "wrong")[0] == FAIL
        assert c.auth("no-such-system-user", "x")[0] == FAIL
        assert c.auth("root", "x")[0] == FAIL
        assert c.lookup(system_user)[1]["uid"] == pw.pw_uid
        # one without commas is all of it; one over 255 octets is no
        # full name, and the account still works (chfn(1) cannot lock a
        # user out)
        for gecos, want in (("Only Name", "Only Name"), ("", ""),
                            ("x" * 255 + ",b", "x" * 255),
                            ("x" * 256 + ",b", "")):
            subprocess.run(["usermod", "-c", gecos, system_user],
                           check=True)
            t, f = c.auth(system_user, "Sys-Pw-42")
            assert t == OK and f["fullname"] == want, (gecos, f)
        c.close()
        r = authtest(a, system_user)
        assert r.returncode == 0 and "fullname: \ndelivery: \n" in \
            r.stdout, r
        for w in a.workers():                   # nobody, group shadow kept
            assert proc_uids(w)[0] != 0
