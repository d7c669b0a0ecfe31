"""A Maildir that courier-imap served, moved under imapsd as it is: the
folder keeps its UIDVALIDITY and every message its UID and keywords, the
subscriptions stay, and a client's cached state (UIDs it knows) stays
valid.  The courier files are built by hand from their documented
formats (docs/uidlist.md, docs/store.md)."""

import os
import re

import buzontest
from imapfix import USERS

UIDVALIDITY = 1234567


def courier_layout(site):
    """INBOX.Sent with courierimapuiddb, courierimapkeywords/ and the
    subscriptions file; returns the base names by UID."""
    md = site.maildir()
    sent = os.path.join(md, ".Sent")
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(sent, sub))
    open(os.path.join(sent, "maildirfolder"), "w").close()
    bases = {}
    for uid, flags in ((17, "S"), (42, "RS"), (50, "")):
        base = "16%08d.M%dP1Q%d.courier" % (uid, uid, uid)
        with open(os.path.join(sent, "cur", base + ":2," + flags), "wb") as f:
            f.write(b"From: a@example.org\nSubject: uid %d\n\nbody\n" % uid)
        bases[uid] = (base, flags)
    with open(os.path.join(sent, "courierimapuiddb"), "w") as f:
        f.write("1 %d 60\n" % UIDVALIDITY)
        for uid, (base, flags) in bases.items():
            f.write("%d %s:2,%s\n" % (uid, base, flags))
    kw = os.path.join(sent, "courierimapkeywords")
    os.mkdir(kw)
    with open(os.path.join(kw, ":list"), "w") as f:
        f.write("$Label1\nwork\n\n%s:0\n%s:1\n" % (bases[17][0],
                                                   bases[42][0]))
    with open(os.path.join(md, "courierimapsubscribed"), "w") as f:
        f.write("INBOX\nINBOX.Sent\n")
    if buzontest.IS_ROOT:
        uid = USERS["ana"][1]
        for root, dirs, files in os.walk(md):
            for n in dirs + files:
                os.chown(os.path.join(root, n), uid, uid)
    return bases


def test_courier_maildir_keeps_uids(site):
    courier_layout(site)
    c = site.login()
    typ, data = c.lsub('""', "*")
    assert b'(\\HasNoChildren \\Sent) "." "INBOX.Sent"' in data, data
    typ, data = c.select("INBOX.Sent")
    assert typ == "OK" and data == [b"3"]
    code = c.response("UIDVALIDITY")[1]
    assert code == [str(UIDVALIDITY).encode()]
    assert c.response("UIDNEXT")[1] == [b"60"]
    typ, data = c.fetch("1:*", "(UID FLAGS)")
    got = [re.search(rb"UID (\d+) FLAGS \(([^)]*)\)", d).groups()
           for d in data]
    assert [(int(u), set(f.split())) for u, f in got] == [
        (17, {b"\\Seen", b"$Label1"}),
        (42, {b"\\Answered", b"\\Seen", b"work"}),
        (50, set())]
    # A client that cached UID 42 finds it where it was.
    typ, data = c.uid("FETCH", "42", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"Subject: uid 42" in data[0][1]
    # New mail gets UIDs after courier's, never one courier gave.
    typ, data = c.append("INBOX.Sent", None, None,
                         b"From: b@example.org\r\nSubject: new\r\n\r\nx\r\n")
    m = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
    assert int(m.group(1)) == UIDVALIDITY and int(m.group(2)) >= 60
    c.logout()
    # courier's files are left as they were.
    with open(os.path.join(site.maildir(), ".Sent",
                           "courierimapuiddb")) as f:
        assert f.readline() == "1 %d 60\n" % UIDVALIDITY
