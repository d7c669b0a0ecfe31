"""authd's ldap backend against a real slapd (regress/slapdfix.py): the
authldaprc sample of the issue, every key checked and documented,
unsupported courier keys reported, bind and compare modes, each password
scheme, per-user and global ids, LDAP_FILTER, LDAP_DOMAIN, the full name
and default delivery instruction, injection in the login, duplicate
entries, unusable entries (control characters in values), authtest and
the cache.
The directory is shared by the tests of this module (none changes it);
the resilience tests are in test_ldap_resilience.py."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import buzontest
import slapdfix
from slapdfix import DOMAIN, PEOPLE, SUFFIX, crypt_value, sha, ssha, user
from authdwire import (Authd, OK, FAIL, TEMPFAIL, ERROR, RECORD,
                       lookup_frame)

pytestmark = pytest.mark.skipif(slapdfix.available() is not None,
                                reason=str(slapdfix.available()))

MANPAGE = os.path.join(buzontest.ROOT, "authd", "authd.conf.5")
NOTHROTTLE = "throttle_after 1000\nworkers 2\n"
SOLO = "ou=solo," + SUFFIX
HEAD = "socket_group \"\"\nuser %s\n" % buzontest.daemon_user()

# The sample of the issue, byte for byte.
SAMPLE = """LDAP_SERVER           correo.example.org
LDAP_BASEDN           ou=gente,dc=correo,dc=example,dc=org
LDAP_BINDDN           ou=sendmail,dc=correo,dc=example,dc=org
LDAP_BINDPW           secret
LDAP_AUTHBIND         1
LDAP_FILTER           (!(quota=-1))
LDAP_DOMAIN           correo.example.org
LDAP_MAILDIR          maildir
LDAP_UID              uidNumber
LDAP_GID              gidNumber
"""

COMPARE = """# compare mode: passwords read as LDAP_BINDDN, checked by authd
""" + slapdfix.RC_HEAD + """LDAP_MAILDIR          maildir
LDAP_MAILDIRQUOTA     quota
LDAP_CRYPTPW          userPassword
LDAP_CLEARPW          clearPassword
LDAP_TIMEOUT          3
"""

# The two keys of the record's last fields, appended to COMPARE or AUTHBIND.
RECORD_KEYS = ("LDAP_FULLNAME         cn\n"
               "LDAP_DEFAULTDELIVERY  defaultDelivery\n")
ANA_NAME = "Ana P\u00e9rez"
ANA_DELIVERY = "| /usr/bin/maildrop"

AUTHBIND = COMPARE.replace("LDAP_CRYPTPW          userPassword\n"
                           "LDAP_CLEARPW          clearPassword\n",
                           "LDAP_AUTHBIND         1\n")

# user: (password, the value stored in userPassword)
SCHEMES = {
    "bcrypt": ("pw-bcrypt", lambda p: crypt_value(p, "bcrypt")),
    "sha512crypt": ("pw-sha512crypt", lambda p: crypt_value(p,
                                                            "sha512crypt")),
    "md5crypt": ("pw-md5crypt", lambda p: crypt_value(p, "md5crypt")),
    "ssha": ("pw-ssha", ssha),
    "sha": ("pw-sha", sha),
    "ssha512": ("pw-ssha512", lambda p: ssha(p, b"longer salt 16oc",
                                             "sha512")),
    "sha512": ("pw-sha512", lambda p: sha(p, "sha512")),
    "cleartext": ("pw-cleartext", lambda p: "{CLEARTEXT}" + p),
}

ODD_MAIL = "odd*(x)\\@" + DOMAIN

# Entries with a control character in a value the record takes, and the
# key that makes the record take it (None: home, always taken).
CONTROL = {
    "ctl-nl": ({"cn": "Bad\nName"}, "LDAP_FULLNAME"),
    "ctl-tab": ({"cn": "Bad\tName"}, "LDAP_FULLNAME"),
    "ctl-esc": ({"cn": "\x1b[31mred"}, "LDAP_FULLNAME"),
    "ctl-cr": ({"defaultDelivery": "| /bin/true\r"},
               "LDAP_DEFAULTDELIVERY"),
    "ctl-del": ({"defaultDelivery": "./Maildir/\x7f"},
                "LDAP_DEFAULTDELIVERY"),
    "ctl-lf2": ({"defaultDelivery": "./Maildir/\n| /bin/sh"},
                "LDAP_DEFAULTDELIVERY"),
    "ctl-home": ({"homeDirectory": "/home/vmail/ctl\nhome"}, None),
}


def directory_ldif():
    out = user("ana", ssha("ana-pw"), uidnum=2001, gidnum=2001,
               home="/home/vmail/ana", maildir="Maildir",
               quota="5000000S", cn=ANA_NAME, defaultDelivery=ANA_DELIVERY)
    out += user("bob", ssha("bob-pw"), uidnum=2002, gidnum=2003,
                home="/home/vmail/bob")
    for i, (name, (pw, mk)) in enumerate(sorted(SCHEMES.items())):
        out += user("s-" + name, mk(pw), uidnum=3000 + i, gidnum=3000 + i)
    out += user("bare", None, clearPassword="bare-pw")
    out += user("plain", "plain-pw")
    out += user("disabled", ssha("dis-pw"), quota="-1")
    out += user("dup1", ssha("dup-pw"), mail="dup@" + DOMAIN)
    out += user("dup2", ssha("dup-pw"), mail="dup@" + DOMAIN)
    out += user("eve", ssha("eve-pw"), mail="eve@other.example")
    out += user("odd", ssha("odd-pw"), mail=ODD_MAIL)
    out += user("rootish", ssha("root-pw"), uidnum=0)
    out += user("rel", ssha("rel-pw"), home="rel/home",
                maildir="/srv/mail/rel/")
    out += user("Mixed", ssha("mixed-pw"), mail="Mixed.Case@" + DOMAIN)
    out += slapdfix.entry(SOLO, {"objectClass": "organizationalUnit",
                                 "ou": "solo"})
    out += user("solo", ssha("solo-pw"), base=SOLO)
    # several cn values: the first is the full name
    out += user("multi", ssha("multi-pw"),
                cn=["Zo\u00eb N\u00fa\u00f1ez", "Zoe Nunez"],
                defaultDelivery="./Maildir/")
    out += user("name255", ssha("n-pw"), cn="y" * 255)
    out += user("name256", ssha("n-pw"), cn="y" * 256)
    out += user("dd1025", ssha("n-pw"), defaultDelivery="d" * 1025)
    for name, (attrs, _) in sorted(CONTROL.items()):
        out += user(name, ssha(name + "-pw"), **attrs)
    return out


@pytest.fixture(scope="module")
def slapd():
    d = tempfile.mkdtemp(prefix="buzon-ldap-")
    os.chmod(d, 0o755)
    s = slapdfix.Slapd(d, stats=True)
    try:
        s.start()
        s.add(directory_ldif())
        yield s
    finally:
        s.stop()
        shutil.rmtree(d, ignore_errors=True)


def ldap_authd(workdir, slapd, rc=COMPARE, extra="", conf=NOTHROTTLE):
    path = slapd.authldaprc(os.path.join(workdir, "authldaprc"), rc + extra)
    return Authd(workdir, backends=["ldap " + path], conf=conf)


def check_rc(workdir, text, verbose=False):
    """authd -n (-nv) on an authd.conf naming an authldaprc of text."""
    rc = os.path.join(workdir, "authldaprc")
    with open(rc, "w") as f:
        f.write(text)
    os.chmod(rc, 0o640)
    return buzontest.check_config("authd", workdir, HEAD + "backend ldap %s\n"
                                  % rc, verbose)


# --- configuration --------------------------------------------------------

def test_sample_loads_as_is(workdir):
    _, r = check_rc(workdir, SAMPLE, verbose=True)
    assert r.returncode == 0, r.stderr
    assert "configuration OK" in r.stderr
    assert "unsupported" not in r.stderr and "error" not in r.stderr
    out = r.stdout
    assert "# LDAP_SERVER correo.example.org\n" in out
    assert "# LDAP_BINDPW ********\n" in out and "secret" not in out
    assert "# LDAP_FILTER (!(quota=-1))\n" in out
    assert "# LDAP_MAIL mail\n" in out          # a default, printed
    assert "# LDAP_TIMEOUT 5\n" in out
    assert "# LDAP_FULLNAME\n" in out          # no default: none asked
    assert "# LDAP_DEFAULTDELIVERY\n" in out


def test_unsupported_keys_reported(workdir):
    text = SAMPLE + ("LDAP_AUXOPTIONS\tshared=sharedgroup\n"
                     "LDAP_EMAILMAP\t(&(userid=@user@)(realm=@realm@))\n"
                     "LDAP_FULLNAME\tcn\nLDAP_DEFAULTDELIVERY\tdd\n")
    path, r = check_rc(workdir, text, verbose=True)
    assert r.returncode == 0, r.stderr
    rc = os.path.join(workdir, "authldaprc")
    for n, key in ((11, "LDAP_AUXOPTIONS"), (12, "LDAP_EMAILMAP")):
        assert "%s:%d: %s: unsupported, ignored" % (rc, n, key) in \
            r.stderr, r.stderr
    # the two keys of the record are implemented, printed with -nv
    assert "LDAP_FULLNAME: unsupported" not in r.stderr
    assert "LDAP_DEFAULTDELIVERY: unsupported" not in r.stderr
    assert "# LDAP_FULLNAME cn\n" in r.stdout
    assert "# LDAP_DEFAULTDELIVERY dd\n" in r.stdout


def test_unsupported_keys_logged_at_start(workdir, slapd):
    with ldap_authd(workdir, slapd, extra="LDAP_AUXOPTIONS a=b\n") as a:
        assert "LDAP_AUXOPTIONS: unsupported, ignored" in a.log()
        c = a.connect()
        assert c.lookup("ana")[0] == OK
        c.close()


BAD = [
    ("LDAP_FOO 1", "unknown key LDAP_FOO"),
    ("ldap_uri x", "unknown key ldap_uri"),
    ("LDAP_TIMEOUT 0", "LDAP_TIMEOUT 0: out of range"),
    ("LDAP_TIMEOUT 61", "LDAP_TIMEOUT 61: out of range"),
    ("LDAP_PROTOCOL_VERSION 2", "LDAP_PROTOCOL_VERSION 2: out of range"),
    ("LDAP_TLS yes", "authldaprc:11: LDAP_TLS yes: not 0 or 1"),
    ("LDAP_DEREF sometimes", "not never, searching, finding or always"),
    ("LDAP_HOMEDIR home dir", "not an attribute name"),
    ("LDAP_FULLNAME cn sn", "not an attribute name"),
    ("LDAP_DEFAULTDELIVERY | /usr/bin/maildrop", "not an attribute name"),
    ("LDAP_MAILROOT var/mail", "not an absolute path"),
    ("LDAP_CACHE_TTL 301", "LDAP_CACHE_TTL 301: out of range"),
    ("LDAP_BASEDN dc=x", "LDAP_BASEDN given twice"),
    ("LDAP_URI ldap://127.0.0.1", "give one of LDAP_URI and LDAP_SERVER"),
    ("LDAP_GLOB_UID no-such-user-xyz", "no such user no-such-user-xyz"),
    ("LDAP_GLOB_UID root", "or uid 0"),
]


@pytest.mark.parametrize("line,msg", BAD)
def test_bad_keys_refused(workdir, line, msg):
    path, r = check_rc(workdir, SAMPLE + line + "\n")
    assert r.returncode == 78, r.stderr
    assert msg in r.stderr, r.stderr


@pytest.mark.parametrize("text,msg", [
    (SAMPLE.replace("LDAP_BASEDN", "#"), "LDAP_BASEDN is needed"),
    (SAMPLE.replace("LDAP_UID ", "#"), "LDAP_UID or LDAP_GLOB_UID"),
    (SAMPLE.replace("LDAP_SERVER           correo.example.org",
                    "LDAP_URI http://x/"), "not an LDAP URI"),
    (SAMPLE.replace("LDAP_SERVER           correo.example.org",
                    "LDAP_URI ldaps://x/\nLDAP_TLS 1"), "TLS already"),
    (SAMPLE.replace("(!(quota=-1))", "(!(quota=-1)"), "do not balance"),
    (SAMPLE.replace("LDAP_AUTHBIND         1", ""),
     "LDAP_CRYPTPW or LDAP_CLEARPW is needed"),
    (SAMPLE.replace("LDAP_BINDDN", "#"), "LDAP_BINDPW without LDAP_BINDDN"),
    (SAMPLE + "LDAP_TLS_CACERT /no/such/ca.pem\n", "/no/such/ca.pem"),
    ("LDAP_X" * 1000 + "\n", "line longer than"),
])
def test_bad_files_refused(workdir, text, msg):
    _, r = check_rc(workdir, text)
    assert r.returncode == 78 and msg in r.stderr, r.stderr


@pytest.mark.parametrize("line,msg", [
    ("backend ldap relative/rc", "not an absolute path"),
    ("backend ldap /no/such/authldaprc", "No such file"),
    ("backend ldap /a /b", "takes 0 to 1 arguments"),
])
def test_bad_backend_lines(workdir, line, msg):
    _, r = buzontest.check_config("authd", workdir,
                                  HEAD + line + "\n")
    assert r.returncode == 78 and msg in r.stderr, r.stderr


def test_every_key_documented(workdir):
    """Each key authd -nv prints (all it implements) and each one it
    reports as unsupported has its entry in authd.conf(5), and the page
    documents no key the parser does not know."""
    _, r = check_rc(workdir, SAMPLE, verbose=True)
    printed = set(re.findall(r"^# (LDAP_[A-Z_]+)", r.stdout, re.M))
    unsupported = {"LDAP_AUXOPTIONS", "LDAP_ENUMERATE_FILTER",
                   "LDAP_EMAILMAP", "LDAP_EMAILMAP_BASEDN",
                   "LDAP_EMAILMAP_ATTRIBUTE", "LDAP_EMAILMAP_MAIL"}
    _, r2 = check_rc(workdir, SAMPLE + "".join(k + " x\n"
                                               for k in unsupported))
    reported = set(re.findall(r"(LDAP_[A-Z_]+): unsupported", r2.stderr))
    assert reported == unsupported, r2.stderr
    with open(MANPAGE) as f:
        documented = {k for line in f if line.startswith(".It Ic LDAP_")
                      for k in re.findall(r"LDAP_[A-Z_]+", line)}
    assert len(printed) >= 30, printed
    assert {"LDAP_FULLNAME", "LDAP_DEFAULTDELIVERY"} <= printed
    assert printed | unsupported == documented, \
        (printed | unsupported) ^ documented


def test_default_path(workdir):
    """"backend ldap" alone reads /etc/buzon/authldaprc."""
    _, r = buzontest.check_config("authd", workdir,
                                  HEAD + "backend ldap\n")
    if os.path.exists("/etc/buzon/authldaprc"):
        pytest.skip("this host has an /etc/buzon/authldaprc")
    assert r.returncode == 78
    assert "/etc/buzon/authldaprc: No such file" in r.stderr


# --- against slapd --------------------------------------------------------

def test_sample_against_slapd(workdir, slapd):
    """The sample, with only the server pointed at the test slapd: bind
    as the user, LDAP_FILTER, LDAP_DOMAIN, LDAP_MAILDIR and the ids."""
    rc = SAMPLE.replace("correo.example.org\n",
                        "127.0.0.1\nLDAP_PORT %d\n" % slapd.port, 1)
    with ldap_authd(workdir, slapd, rc=rc) as a:
        c = a.connect()
        t, f = c.auth("ana", "ana-pw")
        assert t == OK, f
        # without LDAP_FULLNAME and LDAP_DEFAULTDELIVERY: sent empty
        assert f == {"user": "ana@" + DOMAIN, "uid": 2001, "gid": 2001,
                     "home": "/home/vmail/ana",
                     "maildir": "/home/vmail/ana/Maildir", "quota": "",
                     "fullname": "", "delivery": ""}
        assert c.auth("ana", "ana-pW")[0] == FAIL
        assert c.auth("disabled", "dis-pw")[0] == FAIL
        assert c.auth("nobody-here", "x")[0] == FAIL
        c.close()


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_compare_schemes(workdir, slapd, scheme):
    pw = SCHEMES[scheme][0]
    with ldap_authd(workdir, slapd) as a:
        c = a.connect()
        t, f = c.auth("s-" + scheme, pw)
        assert t == OK, (f, a.log())
        assert f["user"] == "s-%s@%s" % (scheme, DOMAIN)
        assert f["maildir"] == "/home/vmail/s-%s/Maildir" % scheme
        assert c.auth("s-" + scheme, pw + "x")[0] == FAIL
        assert c.auth("s-" + scheme, pw[:-1])[0] == FAIL
        assert c.auth("s-" + scheme, "")[0] == FAIL
        c.close()
    assert "scheme not supported" not in a.log()


def test_bare_values(workdir, slapd):
    """A value without {SCHEME} is cleartext only in LDAP_CLEARPW."""
    with ldap_authd(workdir, slapd) as a:
        c = a.connect()
        assert c.auth("bare", "bare-pw")[0] == OK
        assert c.auth("bare", "bare-pwx")[0] == FAIL
        assert c.auth("plain", "plain-pw")[0] == FAIL    # not crypt(3)
        c.close()
    rc = COMPARE.replace("LDAP_CLEARPW          clearPassword\n", "")
    with ldap_authd(workdir, slapd, rc=rc) as a:
        c = a.connect()
        assert c.auth("bare", "bare-pw")[0] == FAIL
        assert c.auth("s-ssha", "pw-ssha")[0] == OK
        c.close()


@pytest.mark.parametrize("anonymous", [False, True])
def test_authbind(workdir, slapd, anonymous):
    """The server checks the password (bind as the entry's DN); the
    search runs as LDAP_BINDDN or anonymously, and never reads a password
    attribute."""
    rc = AUTHBIND
    if anonymous:
        rc = "".join(line + "\n" for line in rc.splitlines()
                     if not line.startswith(("LDAP_BINDDN", "LDAP_BINDPW")))
    with ldap_authd(workdir, slapd, rc=rc) as a:
        c = a.connect()
        # what slapd (with pw-sha2) verifies itself
        for u in ("ana", "s-ssha", "s-sha", "s-ssha512", "s-bcrypt"):
            pw = "ana-pw" if u == "ana" else SCHEMES[u[2:]][0]
            t, f = c.auth(u, pw)
            assert t == OK, (u, f, a.log())
            assert c.auth(u, pw + "x")[0] == FAIL
        assert c.auth("nobody-here", "x")[0] == FAIL
        assert c.lookup("bob")[1]["gid"] == 2003
        c.close()


def test_ids_per_user_and_global(workdir, slapd):
    with ldap_authd(workdir, slapd) as a:
        c = a.connect()
        assert c.lookup("bob")[1]["uid"] == 2002
        c.close()
    rc = COMPARE.replace("LDAP_UID              uidNumber\n"
                         "LDAP_GID              gidNumber\n",
                         "LDAP_GLOB_UID 5000\nLDAP_GLOB_GID 5001\n")
    with ldap_authd(workdir, slapd, rc=rc) as a:
        c = a.connect()
        t, f = c.auth("bob", "bob-pw")
        assert t == OK and (f["uid"], f["gid"]) == (5000, 5001)
        # an entry with uidNumber 0 is fine when the ids are global
        assert c.lookup("rootish")[1]["uid"] == 5000
        c.close()
    import grp
    import pwd
    names = ("nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name)
    rc = rc.replace("5000", names[0]).replace("5001", names[1])
    with ldap_authd(workdir, slapd, rc=rc) as a:
        c = a.connect()
        f = c.lookup("bob")[1]
        assert (f["uid"], f["gid"]) == (pwd.getpwnam("nobody").pw_uid,
                                        pwd.getpwnam("nobody").pw_gid)
        c.close()


def test_record_paths_and_quota(workdir, slapd):
    with ldap_authd(workdir, slapd, extra="LDAP_MAILROOT /var/mail\n") as a:
        c = a.connect()
        assert c.lookup("ana")[1] == {
            "user": "ana@" + DOMAIN, "uid": 2001, "gid": 2001,
            "home": "/home/vmail/ana", "maildir": "/home/vmail/ana/Maildir",
            "quota": "5000000S", "fullname": "", "delivery": ""}
        f = c.lookup("rel")[1]
        assert (f["home"], f["maildir"]) == ("/var/mail/rel/home",
                                            "/srv/mail/rel/")
        # the name is the mail value the directory holds
        assert c.lookup("mixed.case")[1]["user"] == "Mixed.Case@" + DOMAIN
        c.close()
    with ldap_authd(workdir, slapd) as a:
        c = a.connect()
        # a relative home without LDAP_MAILROOT: unusable, said so
        assert c.lookup("rel")[0] == TEMPFAIL
        c.close()
    assert "no usable home or maildir" in a.log()


def search_attrs(slapd, since):
    """The attribute lists of the searches slapd logged after since."""
    return [set(a.split()) for a in
            re.findall(r" SRCH attr=(.*)", slapd.logtext()[since:])]


@pytest.mark.parametrize("rc", [COMPARE, AUTHBIND],
                         ids=["compare", "authbind"])
def test_fullname_and_delivery(workdir, slapd, rc):
    """LDAP_FULLNAME and LDAP_DEFAULTDELIVERY fill the record's fullname
    and delivery, on the wire, with the first value as stored (UTF-8
    included); an entry without the attribute gives an empty field, a
    value over the field's limit an unusable entry."""
    before = len(slapd.logtext())
    with ldap_authd(workdir, slapd, rc=rc, extra=RECORD_KEYS) as a:
        c = a.connect()
        t, f = c.auth("ana", "ana-pw")
        assert t == OK, (f, a.log())
        assert tuple(f) == RECORD           # every field, in table order
        assert (f["fullname"], f["delivery"]) == (ANA_NAME, ANA_DELIVERY)
        assert f["maildir"] == "/home/vmail/ana/Maildir"    # kept beside
        assert c.lookup("ana")[1] == f
        f = c.lookup("multi")[1]
        assert (f["fullname"], f["delivery"]) == (
            "Zo\u00eb N\u00fa\u00f1ez", "./Maildir/")
        f = c.lookup("bob")[1]              # cn "bob", no defaultDelivery
        assert (f["fullname"], f["delivery"]) == ("bob", "")
        assert c.lookup("name255")[1]["fullname"] == "y" * 255
        assert c.lookup("name256")[0] == TEMPFAIL
        assert c.lookup("dd1025")[0] == TEMPFAIL
        c.close()
    assert "bad full name (LDAP_FULLNAME)" in a.log()
    assert "bad delivery instruction (LDAP_DEFAULTDELIVERY)" in a.log()
    buzontest.wait_for(lambda: search_attrs(slapd, before), 5, "a SRCH")
    assert all({"cn", "defaultDelivery"} <= s
               for s in search_attrs(slapd, before))
    # without the keys neither attribute is asked for
    before = len(slapd.logtext())
    with ldap_authd(workdir, slapd, rc=rc) as a:
        c = a.connect()
        f = c.lookup("ana")[1]
        assert (f["fullname"], f["delivery"]) == ("", "")
        assert c.lookup("name256")[0] == OK
        c.close()
    buzontest.wait_for(lambda: search_attrs(slapd, before), 5, "a SRCH")
    assert not any(s & {"cn", "defaultDelivery"}
                   for s in search_attrs(slapd, before))


def test_control_characters_refused(workdir, slapd):
    """A control character in a value the record takes (a newline, a
    tab, ESC, CR, DEL) never reaches the record: the entry is unusable,
    a temporary failure that is logged, both for auth and lookup, and
    authtest prints no record.  Without the key that takes the value the
    entry is fine."""
    with ldap_authd(workdir, slapd, extra=RECORD_KEYS) as a:
        c = a.connect()
        for name in sorted(CONTROL):
            assert c.auth(name, name + "-pw")[0] == TEMPFAIL, name
            assert c.lookup(name)[0] == TEMPFAIL, name
        assert c.auth("ana", "ana-pw")[0] == OK
        c.close()
        r = authtest(a, "ctl-nl", "ctl-nl-pw")
        assert r.returncode == 75 and r.stdout == "", r
        r = authtest(a, "ctl-lf2")
        assert r.returncode == 75 and r.stdout == "", r
    log = a.log()
    for name, (_, key) in CONTROL.items():
        why = {"LDAP_FULLNAME": "bad full name (LDAP_FULLNAME)",
               "LDAP_DEFAULTDELIVERY":
               "bad delivery instruction (LDAP_DEFAULTDELIVERY)",
               None: "no usable home or maildir"}[key]
        assert re.search(r"user=%s@\S+ dn=.* error=\"%s" %
                         (name, re.escape(why)), log), (name, log)
    assert "/bin/sh" not in log and "\x1b" not in log
    with ldap_authd(workdir, slapd) as a:
        c = a.connect()
        for name, (_, key) in sorted(CONTROL.items()):
            want = TEMPFAIL if key is None else OK
            assert c.lookup(name)[0] == want, name
        c.close()


def test_filter_excludes_entry(workdir, slapd):
    # quota -1 is no Maildir++ quota: not asked for here
    rc = COMPARE.replace("LDAP_MAILDIRQUOTA", "# LDAP_MAILDIRQUOTA")
    with ldap_authd(workdir, slapd, rc=rc) as a:
        c = a.connect()
        assert c.auth("disabled", "dis-pw")[0] == OK
        c.close()
    for f in ("(!(quota=-1))", "!(quota=-1)"):
        with ldap_authd(workdir, slapd, rc=rc,
                        extra="LDAP_FILTER %s\n" % f) as a:
            c = a.connect()
            assert c.auth("disabled", "dis-pw")[0] == FAIL
            assert c.lookup("disabled")[0] == FAIL
            assert c.auth("ana", "ana-pw")[0] == OK
            c.close()


def test_domain(workdir, slapd):
    with ldap_authd(workdir, slapd) as a:
        c = a.connect()
        assert c.auth("ana", "ana-pw")[0] == OK
        assert c.auth("ana@" + DOMAIN, "ana-pw")[0] == OK
        assert c.auth("eve@other.example", "eve-pw")[0] == OK
        assert c.auth("eve", "eve-pw")[0] == FAIL
        c.close()
    rc = COMPARE.replace("LDAP_DOMAIN ", "# LDAP_DOMAIN ")
    with ldap_authd(workdir, slapd, rc=rc) as a:
        c = a.connect()
        assert c.auth("ana", "ana-pw")[0] == FAIL
        assert c.auth("ana@" + DOMAIN, "ana-pw")[0] == OK
        c.close()


def search_results(slapd, since):
    """nentries= of each SEARCH RESULT slapd logged after offset since."""
    return [int(n) for n in re.findall(r"SEARCH RESULT .*nentries=(\d+)",
                                       slapd.logtext()[since:])]


INJECTIONS = ["*", "a*", "x)(uid=*", "*)(uid=solo", "solo*", "\\00",
              "*)(|(mail=*", "solo@%s)(mail=*" % DOMAIN, "\\2a", "(mail=*)"]


def test_injection(workdir, slapd):
    """Under a base holding one user, whose password every request sends,
    no login but that user's own finds an entry: slapd itself reports 0
    entries for each search.  The escaping is exact, not a refusal: a mail
    holding * ( ) \\ logs in."""
    rc = COMPARE.replace(PEOPLE, SOLO)
    with ldap_authd(workdir, slapd, rc=rc) as a:
        c = a.connect()
        before = len(slapd.logtext())
        for login in INJECTIONS:
            for with_domain in ("", "@" + DOMAIN):
                assert c.auth(login + with_domain, "solo-pw")[0] == FAIL, \
                    login
                assert c.lookup(login + with_domain)[0] == FAIL, login
        buzontest.wait_for(lambda: len(search_results(slapd, before)) >=
                           4 * len(INJECTIONS), 5, "slapd's log")
        assert set(search_results(slapd, before)) == {0}
        assert c.auth("solo", "solo-pw")[0] == OK
        c.close()
    with ldap_authd(workdir, slapd) as a:
        c = a.connect()
        t, f = c.auth(ODD_MAIL, "odd-pw")
        assert t == OK and f["user"] == ODD_MAIL
        assert c.auth("odd*", "odd-pw")[0] == FAIL
        c.close()


def test_login_limits(workdir, slapd):
    """Over-long logins and NUL are refused before any LDAP traffic."""
    with ldap_authd(workdir, slapd) as a:
        c = a.connect()
        c.lookup("ana")
        buzontest.wait_for(lambda: "SRCH" in slapd.logtext(), 5, "a SRCH")
        before = slapd.logtext().count(" SRCH ")
        # 255 octets fit the wire; with "@" + LDAP_DOMAIN they do not
        assert c.auth("a" * 255, "x")[0] == FAIL
        assert c.auth("a" * 240, "x")[0] == FAIL
        time.sleep(0.3)
        assert slapd.logtext().count(" SRCH ") == before
        c.close()
        # NUL and 256 octets never leave the wire decoder
        for data in (lookup_frame("ana\0*"), lookup_frame("a" * 256)):
            c = a.connect()
            assert c.request(data)[0] == ERROR
            c.close()
        c = a.connect()
        assert c.auth("ana", "ana-pw")[0] == OK
        c.close()


def test_duplicates_refused(workdir, slapd):
    for rc in (COMPARE, AUTHBIND):
        with ldap_authd(workdir, slapd, rc=rc) as a:
            c = a.connect()
            assert c.auth("dup", "dup-pw")[0] == FAIL
            assert c.lookup("dup")[0] == FAIL
            c.close()
            a.wait_log('user=dup@%s error="more than one entry matches; '
                       'refused"' % DOMAIN)


def test_unusable_entry_is_tempfail(workdir, slapd):
    """uid 0 from the directory is never served; the answer says try
    later (the directory needs fixing), not wrong password."""
    with ldap_authd(workdir, slapd) as a:
        c = a.connect()
        assert c.auth("rootish", "root-pw")[0] == TEMPFAIL
        assert c.lookup("rootish")[0] == TEMPFAIL
        c.close()
    assert "no usable uid" in a.log()


def authtest(a, *args, stdin=None):
    return subprocess.run([buzontest.binary("authtest"), "-f", a.sock] +
                          list(args), capture_output=True, text=True,
                          input=stdin, timeout=60)


@pytest.mark.parametrize("rc", [COMPARE, AUTHBIND],
                         ids=["compare", "authbind"])
def test_authtest(workdir, slapd, rc):
    with ldap_authd(workdir, slapd, rc=rc, extra=RECORD_KEYS) as a:
        r = authtest(a, "ana", "ana-pw")
        assert r.returncode == 0, r.stderr
        assert r.stdout == ("user: ana@%s\nuid: 2001\ngid: 2001\n"
                            "home: /home/vmail/ana\n"
                            "maildir: /home/vmail/ana/Maildir\n"
                            "quota: 5000000S\n"
                            "fullname: %s\n"
                            "delivery: %s\n" % (DOMAIN, ANA_NAME,
                                                 ANA_DELIVERY))
        r = authtest(a, "bob")
        assert r.returncode == 0
        assert r.stdout.endswith("fullname: bob\ndelivery: \n"), r.stdout
        r = authtest(a, "-s", "pop3", "ana", "-", stdin="ana-pw\n")
        assert r.returncode == 0
        r = authtest(a, "ana")
        assert r.returncode == 0 and "uid: 2001" in r.stdout
        r = authtest(a, "ana", "bad")
        assert r.returncode == 77 and "wrong password" in r.stderr
        r = authtest(a, "nosuch", "x")
        assert r.returncode == 67 and "no such user" in r.stderr


def test_cache(workdir, slapd):
    """LDAP_CACHE_TTL: found users are answered from the worker's cache
    while the directory hangs, until the TTL ends; a user whose password
    is cleartext is never kept with it, so needs the directory."""
    rc = COMPARE.replace("LDAP_TIMEOUT          3", "LDAP_TIMEOUT 1")
    with ldap_authd(workdir, slapd, rc=rc, extra="LDAP_CACHE_TTL 2\n",
                    conf="throttle_after 1000\nworkers 1\n") as a:
        c = a.connect()
        assert c.auth("ana", "ana-pw")[0] == OK
        assert c.auth("s-cleartext", "pw-cleartext")[0] == OK
        slapd.pause()
        try:
            assert c.auth("ana", "ana-pw")[0] == OK
            assert c.lookup("ana")[0] == OK
            assert c.lookup("s-cleartext")[0] == OK
            assert c.auth("s-cleartext", "pw-cleartext")[0] == TEMPFAIL
            # a wrong password is asked again, never failed from memory
            assert c.auth("ana", "wrong")[0] == TEMPFAIL
            time.sleep(2.2)
            assert c.lookup("s-cleartext")[0] == TEMPFAIL
        finally:
            slapd.resume()
        c.close()


def test_sighup_empties_cache(workdir, slapd):
    """SIGHUP: the workers close their connections and forget the cache;
    the next request opens a new connection."""
    rc = COMPARE.replace("LDAP_TIMEOUT          3", "LDAP_TIMEOUT 1")
    with ldap_authd(workdir, slapd, rc=rc, extra="LDAP_CACHE_TTL 300\n",
                    conf="throttle_after 1000\nworkers 1\n") as a:
        c = a.connect()
        assert c.lookup("bob")[0] == OK
        os.kill(a.pid, signal.SIGHUP)
        a.wait_log("event=reload")
        time.sleep(0.2)
        slapd.pause()
        try:
            assert c.lookup("bob")[0] == TEMPFAIL
        finally:
            slapd.resume()
        buzontest.wait_for(lambda: c.lookup("bob")[0] == OK, 10,
                           "recovery")
        c.close()
