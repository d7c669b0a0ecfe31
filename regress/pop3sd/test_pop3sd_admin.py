"""pop3sd's configuration check and its documentation, the processes of
the login split (users, chroot) and the memory of an idle connection."""

import functools
import os
import subprocess

import pytest

import buzontest
from buzontest import children, proc_uids
from pop3fix import Site, USERS

MANPAGE = os.path.join(buzontest.ROOT, "pop3sd", "pop3sd.conf.5")
SAMPLE = os.path.join(buzontest.ROOT, "conf", "pop3sd.conf")


pop3sd_n = functools.partial(buzontest.check_config, "pop3sd")


GOOD = """# sample
listen 127.0.0.1 995 pop3s
listen * 110 pop3
plaintext_networks 127.0.0.0/8 ::1 192.0.2.0/24
user %s
max_sessions 50
timeout 15m
""" % ("nobody" if buzontest.IS_ROOT else "whoever")


def test_check_good_config(workdir):
    out = buzontest.accepted_config("pop3sd", workdir, GOOD)
    assert "listen 127.0.0.1 995 pop3s\nlisten * 110 pop3\n" in out
    assert "timeout 900s" in out
    assert "authd_socket \"/var/run/authd.sock\"" in out or \
        "authd_socket /var/run/authd.sock" in out
    assert "chroot" in out and "/var/empty" in out


@pytest.mark.parametrize("line,msg", [
    ("bogus 1", "unknown keyword bogus"),
    ("listen 127.0.0.1 995", "listen: takes ADDR PORT pop3s|pop3"),
    ("listen 127.0.0.1 99999 pop3s", "bad port"),
    ("listen 127.0.0.1 995 imaps", "unknown kind imaps"),
    ("max_line 100", "out of range"),
    ("login_timeout 0", "out of range"),
    ("max_errors many", "bad value"),
    ("plaintext_networks 10.0.0.0/33", "bad network 10.0.0.0/33"),
    ("plaintext_networks example.org", "bad network example.org"),
    ("chroot relative", "not an absolute path"),
])
def test_check_bad_config(workdir, line, msg):
    buzontest.assert_refused("pop3sd", workdir, GOOD, line, msg,
                             at_line=False)


def test_no_listen_is_an_error(workdir):
    _, r = pop3sd_n(workdir, "max_sessions 5\n")
    assert r.returncode == 78 and "no listen line" in r.stderr


def test_every_keyword_documented(workdir):
    printed = buzontest.printed_keywords("pop3sd", workdir, GOOD)
    buzontest.assert_documented(printed, MANPAGE, 16)


def test_sample_config_parses(workdir):
    with open(SAMPLE) as f:
        text = f.read()
    # _pop3sd need not exist on the test machine
    text += "\nuser %s\n" % ("nobody" if buzontest.IS_ROOT else "whoever")
    _, r = pop3sd_n(workdir, text)
    assert r.returncode == 0, r.stderr


def test_usage():
    r = subprocess.run([buzontest.binary("pop3sd"), "-x"],
                       capture_output=True, text=True)
    assert r.returncode == 64 and "usage" in r.stderr


def stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        text = f.read()
    # pid (comm) state ppid pgrp ...
    rest = text[text.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[2])


def descendants(pid):
    """Every live process below pid (orphans come back to the master,
    which is their reaper on Linux)."""
    out, todo = [], [pid]
    while todo:
        for k in children(todo.pop()):
            try:
                if stat_fields(k)[0] != "Z":
                    out.append(k)
                    todo.append(k)
            except FileNotFoundError:
                pass
    return out


def connection_groups(site):
    """{process group: [pids]} of the connections below the master."""
    groups = {}
    for p in descendants(site.pid):
        try:
            groups.setdefault(stat_fields(p)[2], []).append(p)
        except FileNotFoundError:
            pass
    return groups


def logged_in(site, n):
    """n connections, each down to its pre-auth and session processes."""
    g = connection_groups(site)
    return len(g) == n and all(len(v) == 2 for v in g.values())


@pytest.mark.skipif(not buzontest.IS_ROOT, reason="the drops need root")
def test_process_users_and_chroot(workdir, cert):
    s = Site(workdir, cert)
    s.put(b"Subject: x\n\nbody\n")
    s.start()
    try:
        r = s.raw()
        r.line()
        r.cmd("USER ana")
        assert r.cmd("PASS ana-pw").startswith(b"+OK")
        # the monitor (root) exits once the session runs
        buzontest.wait_for(lambda: logged_in(s, 1), 10, "monitor gone")
        kids = list(connection_groups(s).values())[0]
        nobody = buzontest.unprivileged_user()[0]
        by_uid = {proc_uids(k)[0]: k for k in kids}
        assert set(by_uid) == {nobody, 2001}, by_uid
        assert proc_uids(by_uid[nobody]) == [nobody] * 4
        assert os.readlink("/proc/%d/root" % by_uid[nobody]) == \
            os.path.join(workdir, "empty")
        assert proc_uids(by_uid[2001]) == [2001] * 4
        assert os.readlink("/proc/%d/root" % by_uid[2001]) == "/"
        # the uid list and the lock belong to the mail user
        st = os.stat(os.path.join(s.maildir(), "buzon-uidlist"))
        assert (st.st_uid, st.st_mode & 0o777) == (2001, 0o600)
        r.cmd("QUIT")
    finally:
        s.stop()


@pytest.mark.skipif(not buzontest.IS_ROOT, reason="needs root")
def test_uid_zero_refused(workdir, cert):
    s = Site(workdir, cert)
    from authdwire import mkhash, passwd_line
    s.authd.write_passwd([passwd_line("root2", mkhash("pw"), 0, 0,
                                      s.homes["ana"])])
    s.start()
    try:
        r = s.raw()
        r.line()
        r.cmd("USER root2")
        assert r.cmd("PASS pw").startswith(b"-ERR [AUTH]")
        assert "result=refused reason=uid-0" in s.log()
    finally:
        s.stop()


def sanitized():
    with open(buzontest.binary("pop3sd"), "rb") as f:
        return b"__asan_init" in f.read()


def pss_kib(pid):
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def group_pss(site):
    """PSS of the master and every process below it, in KiB."""
    return sum(pss_kib(p) for p in [site.pid] +
               descendants(site.pid))


@pytest.mark.skipif(sanitized(), reason="ASan inflates memory; run this "
                    "test against a build without sanitizers")
def test_idle_connection_memory(workdir, cert):
    """What one more idle, logged-in POP3S connection costs: the growth
    of the PSS of all pop3sd processes together (the master, and each
    connection's pre-auth and session processes; its monitor has exited
    after the login), per connection."""
    s = Site(workdir, cert, conf="max_sessions_per_addr 100\n")
    s.put(b"Subject: x\n\nbody\n")
    s.start()
    users = sorted(u for u in USERS)
    try:
        conns = [s.login(u) for u in users[:4]]
        buzontest.wait_for(lambda: logged_in(s, 4), 10, "4 sessions")
        before = group_pss(s)
        conns += [s.login(u) for u in users[4:]]
        n = len(users) - 4
        buzontest.wait_for(lambda: logged_in(s, 4 + n), 10,
                           "more sessions")
        per_conn = (group_pss(s) - before) / n
        print("pss per idle connection: %d KiB" % per_conn)
        for c in conns:
            c.quit()
        assert per_conn <= 600, per_conn
    finally:
        s.stop()
