"""Local delivery of LDAP users through the spawner: the Maildir the
directory names (LDAP_MAILDIR relative to the home, a default delivery
that names a Maildir), and a default delivery of another kind keeping
the mail queued with its reason rather than delivering it elsewhere."""

import os

import pytest

import buzontest
import slapdfix
from queuewire import Mailqueue, OK
from authdwire import Authd             # on the path queuewire sets
from slapdfix import DOMAIN, ssha, user

pytestmark = pytest.mark.skipif(slapdfix.available() is not None,
                                reason=str(slapdfix.available()))

RC = slapdfix.RC_HEAD + """LDAP_CRYPTPW          userPassword
LDAP_MAILDIR          maildir
LDAP_DEFAULTDELIVERY  defaultDelivery
LDAP_TIMEOUT          5
"""
BODY = b"Subject: ldap\r\n\r\nto the directory's Maildir\r\n"


def test_delivery_where_the_directory_says(workdir):
    s = slapdfix.Slapd(workdir)
    q = Mailqueue(workdir, conf="retry_min 1h\nretry_max 2h\n",
                  users=(("ana", 2001), ("bob", 2002), ("cyd", 2003)))
    with open(q.domains, "a") as f:
        f.write(DOMAIN + "\n")
    try:
        s.start()
        homes = {n: u.home for n, u in q.users.items()}
        uid = {n: u.uid for n, u in q.users.items()}
        # LDAP_MAILDIR's parent exists; the Maildir itself is made.
        os.mkdir(os.path.join(homes["ana"], "Mail"), 0o700)
        if buzontest.IS_ROOT:
            os.chown(os.path.join(homes["ana"], "Mail"), uid["ana"],
                     uid["ana"])
        s.add(user("ana", ssha("x"), uidnum=uid["ana"], gidnum=uid["ana"],
                   home=homes["ana"], maildir="Mail/box") +
              user("bob", ssha("x"), uidnum=uid["bob"], gidnum=uid["bob"],
                   home=homes["bob"], defaultDelivery="./Inbox/") +
              user("cyd", ssha("x"), uidnum=uid["cyd"], gidnum=uid["cyd"],
                   home=homes["cyd"],
                   defaultDelivery="| /usr/bin/procmail"))
        rc = s.authldaprc(os.path.join(workdir, "authldaprc"), RC)
        # The same socket path as the file backend's: mailqueue's config.
        q.authd = Authd(workdir, backends=["ldap " + rc])
        with q:
            for n in ("ana", "bob", "cyd"):
                t, f = q.submit("a@remote.test", ["%s@%s" % (n, DOMAIN)],
                                BODY)
                assert t == OK, f
            q.wait_log("to=<ana@%s> result=delivered" % DOMAIN)
            q.wait_log("to=<bob@%s> result=delivered" % DOMAIN)
            q.wait_log("to=<cyd@%s> result=deferred status=75 reason="
                       "\"default delivery '| /usr/bin/procmail' is "
                       "not a Maildir (a path ending in /)\"" % DOMAIN)
            for n, sub in (("ana", "Mail/box"), ("bob", "Inbox")):
                new = os.path.join(homes[n], sub, "new")
                [name] = os.listdir(new)
                with open(os.path.join(new, name), "rb") as fp:
                    assert fp.read().endswith(b"to the directory's "
                                              b"Maildir\n")
                if buzontest.IS_ROOT:
                    assert os.stat(os.path.join(new, name)).st_uid == uid[n]
            assert not os.path.exists(os.path.join(homes["ana"], "Maildir"))
            assert not os.path.exists(os.path.join(homes["cyd"], "Maildir"))
    finally:
        s.stop()
