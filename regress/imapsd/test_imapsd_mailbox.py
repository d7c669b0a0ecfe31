"""imapsd's folder commands: LIST, LSUB, CREATE, DELETE, RENAME,
SUBSCRIBE, UNSUBSCRIBE, STATUS and NAMESPACE, under courier's "INBOX."
namespace and Dovecot's empty one, with what lands in the Maildir:
".a.b" directories with maildirfolder and tmp/ new/ cur/, and
courierimapsubscribed.  Bad names each get their NO and never reach the
disk."""

import base64
import imaplib
import os
import re

import pytest

import buzontest
from imapfix import Site, chown, mkfolder, put



@pytest.fixture
def dsite(workdir, cert):
    """Dovecot's namespace: no prefix."""
    s = Site(workdir, cert, conf="namespace dovecot\n")
    with s:
        yield s


# --- helpers ---

MSG = b"From: a@example.org\nSubject: hi\n\nbody\n"


def mutf7(text):
    """Non-ASCII text in one modified UTF-7 run."""
    b = base64.b64encode(text.encode("utf-16-be")).decode()
    return "&" + b.rstrip("=").replace("/", ",") + "-"


def folders(site):
    """The folder directories of the Maildir root."""
    return sorted(n for n in os.listdir(site.maildir())
                  if n.startswith("."))


def is_folder(site, dirname):
    d = os.path.join(site.maildir(), dirname)
    return (os.path.isfile(os.path.join(d, "maildirfolder")) and
            all(os.path.isdir(os.path.join(d, s))
                for s in ("tmp", "new", "cur")))


def subscribed(site):
    path = os.path.join(site.maildir(), "courierimapsubscribed")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read()


def lst(c, ref='""', pat="*"):
    typ, data = c.list(ref, pat)
    assert typ == "OK", data
    return [d for d in data if d is not None]


def lsub(c, ref='""', pat="*"):
    typ, data = c.lsub(ref, pat)
    assert typ == "OK", data
    return [d for d in data if d is not None]


def raw_login(site):
    r = site.raw()
    assert r.line().startswith(b"* OK")
    assert r.cmd("a LOGIN ana ana-pw").startswith(b"a OK [CAPABILITY ")
    return r


def answer(r, tag):
    """Every line up to the tagged one, which comes last."""
    lines = []
    while True:
        ln = r.line()
        lines.append(ln)
        if ln.startswith(tag.encode() + b" ") or ln == b"":
            return lines


# --- capabilities and NAMESPACE ---

def test_capabilities_after_login(site):
    c = site.login()
    typ, data = c.capability()
    caps = data[0].split()
    assert caps[:3] == [b"IMAP4rev1", b"LITERAL+", b"ID"]
    for cap in (b"NAMESPACE", b"CHILDREN", b"SPECIAL-USE", b"LIST-EXTENDED",
                b"LIST-STATUS"):
        assert cap in caps
    # SPECIAL-USE is the attributes on LIST, not CREATE-SPECIAL-USE
    assert b"CREATE-SPECIAL-USE" not in caps
    c.logout()


def test_namespace_courier(site):
    c = site.login()
    assert c.namespace() == ("OK", [b'(("INBOX." ".")) NIL NIL'])
    with pytest.raises(imaplib.IMAP4.error,
                       match="NAMESPACE takes no argument"):
        c._simple_command("NAMESPACE", "x")
    c.logout()


def test_namespace_dovecot(dsite):
    c = dsite.login()
    assert c.namespace() == ("OK", [b'(("" ".")) NIL NIL'])
    c.logout()


def test_namespace_config_keyword(workdir):
    good = "listen 127.0.0.1 993 imaps\nuser %s\n" % (
        "nobody" if buzontest.IS_ROOT else "whoever")
    assert "namespace courier\n" in buzontest.accepted_config(
        "imapsd", workdir, good)
    assert "namespace dovecot\n" in buzontest.accepted_config(
        "imapsd", workdir, good + "namespace dovecot\n")
    for line in ("namespace cyrus", "namespace", "namespace dovecot x"):
        buzontest.assert_refused("imapsd", workdir, good, line,
                                 "namespace: courier or dovecot")


# --- LIST ---

def test_list_empty_pattern(site):
    c = site.login()
    assert lst(c, '""', '""') == [b'(\\Noselect) "." ""']
    assert lst(c, "INBOX.a.b", '""') == [b'(\\Noselect) "." "INBOX."']
    c.logout()


def test_list_fresh_maildir(site):
    c = site.login()
    assert lst(c) == [b'(\\HasNoChildren) "." "INBOX"']
    assert lst(c, '""', "inbox") == [b'(\\HasNoChildren) "." "INBOX"']
    c.logout()


def test_create_list_courier(site):
    c = site.login()
    assert c.create("INBOX.Sent") == ("OK", [b"CREATE completed"])
    assert c.create("INBOX.a.b") == ("OK", [b"CREATE completed"])
    assert c.create("INBOX.Trash") == ("OK", [b"CREATE completed"])
    # parents are made, each a Maildir++ folder
    assert folders(site) == [".Sent", ".Trash", ".a", ".a.b"]
    for d in folders(site):
        assert is_folder(site, d)
    assert lst(c) == [
        b'(\\HasChildren) "." "INBOX"',
        b'(\\HasNoChildren \\Sent) "." "INBOX.Sent"',
        b'(\\HasNoChildren \\Trash) "." "INBOX.Trash"',
        b'(\\HasChildren) "." "INBOX.a"',
        b'(\\HasNoChildren) "." "INBOX.a.b"']
    # "%" stops at the separator; the reference is joined to the pattern
    assert lst(c, '""', "%") == [b'(\\HasChildren) "." "INBOX"']
    assert lst(c, '""', "INBOX.%") == lst(c, "INBOX.", "%") == lst(
            c, "inbox.", "%%") == lst(c, '""', "INBOX.%%") == [
        b'(\\HasNoChildren \\Sent) "." "INBOX.Sent"',
        b'(\\HasNoChildren \\Trash) "." "INBOX.Trash"',
        b'(\\HasChildren) "." "INBOX.a"']
    assert lst(c, '""', "inbox.a.*") == [
        b'(\\HasNoChildren) "." "INBOX.a.b"']
    # runs of wildcards are one: "%*" is "*"
    assert lst(c, '""', "INBOX.a%*") == lst(c, '""', "INBOX.a*") == [
        b'(\\HasChildren) "." "INBOX.a"',
        b'(\\HasNoChildren) "." "INBOX.a.b"']
    assert lst(c, '""', "*b") == [b'(\\HasNoChildren) "." "INBOX.a.b"']
    assert lst(c, '""', "INBOX.%.%") == [
        b'(\\HasNoChildren) "." "INBOX.a.b"']
    assert lst(c, '""', "INBOX.nothing*") == []
    # a name outside the namespace matches nothing
    assert lst(c, '""', "Sent") == []
    c.logout()


def test_list_noselect_parent_and_special_use(site):
    mkfolder(site, ".x.y")
    mkfolder(site, ".Drafts")
    mkfolder(site, ".Spam")
    mkfolder(site, ".Archive")
    mkfolder(site, ".Junk.old")
    c = site.login()
    assert lst(c) == [
        b'(\\HasChildren) "." "INBOX"',
        b'(\\HasNoChildren \\Archive) "." "INBOX.Archive"',
        b'(\\HasNoChildren \\Drafts) "." "INBOX.Drafts"',
        b'(\\Noselect \\HasChildren \\Junk) "." "INBOX.Junk"',
        b'(\\HasNoChildren) "." "INBOX.Junk.old"',
        b'(\\HasNoChildren \\Junk) "." "INBOX.Spam"',
        b'(\\Noselect \\HasChildren) "." "INBOX.x"',
        b'(\\HasNoChildren) "." "INBOX.x.y"']
    c.logout()


def test_list_bad_arguments(site):
    c = site.login()
    for args in (("LIST", '""'), ("LIST", "(a)", "*"), ("LSUB",)):
        with pytest.raises(imaplib.IMAP4.error,
                           match="takes a reference and a mailbox "
                                 "pattern"):
            c._simple_command(*args)
    with pytest.raises(imaplib.IMAP4.error, match="pattern is too long"):
        c.list('""', "a" * 1100)
    c.logout()


def test_list_dovecot(dsite):
    c = dsite.login()
    assert c.create("Sent") == ("OK", [b"CREATE completed"])
    assert c.create("a.b.") == ("OK", [b"CREATE completed"])
    assert folders(dsite) == [".Sent", ".a", ".a.b"]
    assert lst(c) == [
        b'(\\HasNoChildren) "." "INBOX"',
        b'(\\HasNoChildren \\Sent) "." "Sent"',
        b'(\\HasChildren) "." "a"',
        b'(\\HasNoChildren) "." "a.b"']
    assert lst(c, '""', "%") == [
        b'(\\HasNoChildren) "." "INBOX"',
        b'(\\HasNoChildren \\Sent) "." "Sent"',
        b'(\\HasChildren) "." "a"']
    assert lst(c, "a.", "%") == [b'(\\HasNoChildren) "." "a.b"']
    assert c.create("INBOX.x") == ("NO", [
        b"[CANNOT] INBOX holds no folders in this namespace"])
    assert c.create('"INBOX."') == ("NO", [
        b"[ALREADYEXISTS] CREATE: INBOX always exists"])
    c.logout()


# --- names: modified UTF-7, quoting, bad names ---

def test_mutf7_round_trip(site):
    c = site.login()
    assert c.create("INBOX.Entw&APw-rfe")[0] == "OK"
    assert is_folder(site, ".Entw&APw-rfe")
    assert c.create('"INBOX.My \\"Mail\\""')[0] == "OK"
    assert is_folder(site, '.My "Mail"')
    assert c.create("INBOX.a&-b")[0] == "OK"
    assert is_folder(site, ".a&-b")
    # courier-imap 5 writes UTF-8 directories: shown in modified UTF-7
    mkfolder(site, ".Gelöscht")
    assert lst(c) == [
        b'(\\HasChildren) "." "INBOX"',
        b'(\\HasNoChildren) "." "INBOX.Entw&APw-rfe"',
        b'(\\HasNoChildren) "." "INBOX.Gel&APY-scht"',
        b'(\\HasNoChildren) "." "INBOX.My \\"Mail\\""',
        b'(\\HasNoChildren) "." "INBOX.a&-b"']
    assert lst(c, '""', "INBOX.Entw*") == [
        b'(\\HasNoChildren) "." "INBOX.Entw&APw-rfe"']
    assert c.status("INBOX.Gel&APY-scht", "(MESSAGES)") == (
        "OK", [b'"INBOX.Gel&APY-scht" (MESSAGES 0)'])
    assert c.delete("INBOX.Gel&APY-scht") == ("OK", [b"DELETE completed"])
    c.logout()


BAD_NAMES = [
    ("INBOX..hidden", b"[CANNOT] mailbox name starts with the separator"),
    ("INBOX.a..b", b"[CANNOT] empty level in a mailbox name"),
    ("INBOX.a/b", b'[CANNOT] "/" in a mailbox name'),
    ("INBOX.../etc", b'[CANNOT] "/" in a mailbox name'),
    ("INBOX...", b"[CANNOT] mailbox name starts with the separator"),
    ("INBOX.&Jjo", b"[CANNOT] unterminated base64 in a name"),
    ("INBOX.&AGE-", b"[CANNOT] printable ASCII encoded in a name"),
    ("INBOX.&AC8-x", b"[CANNOT] printable ASCII encoded in a name"),
    ("INBOX.&AOk-&AOk-", b"[CANNOT] name not in canonical modified UTF-7"),
    ("INBOX.&AAE-", b"[CANNOT] control character in a name"),
    ("INBOX." + "x" * 200, b"[CANNOT] mailbox name too long"),
    ("INBOX." + "x" * 450, b"[CANNOT] mailbox name too long"),
    ("INBOX." + "x" * 5000, b"[CANNOT] mailbox name too long"),
    # 300 octets of UTF-8, but over 200 on disk
    ("INBOX." + mutf7("\u00e9" * 150), b"[CANNOT] mailbox name too long"),
    ("Sent", b'[CANNOT] name outside the personal namespace "INBOX."'),
    ("../x", b'[CANNOT] name outside the personal namespace "INBOX."'),
    ("INBOX.INBOX", b"[CANNOT] the name INBOX is reserved"),
    ("INBOX.inbox.x", b"[CANNOT] the name INBOX is reserved"),
    ("INBOX.a*", b"[CANNOT] wildcard in a mailbox name"),
    ("INBOX.a%b", b"[CANNOT] wildcard in a mailbox name"),
]


def test_bad_names_never_reach_disk(site):
    c = site.login()
    before = sorted(os.listdir(site.maildir()))
    for name, reply in BAD_NAMES:
        arg = '"%s"' % name if "%" in name or "*" in name else name
        assert c.create(arg) == ("NO", [reply]), name[:40]
        if "*" in name or "%" in name:
            continue
        assert c.rename("INBOX", arg) == ("NO", [reply]), name[:40]
        assert c.delete(arg) == ("NO", [reply]), name[:40]
        assert c.subscribe(arg) == ("NO", [reply]), name[:40]
        assert c.status(arg, "(MESSAGES)") == ("NO", [reply]), name[:40]
    # control characters and 8-bit octets, in literals
    for raw, reply in ((b"INBOX.a\x01b", b"[CANNOT] control or 8-bit "
                        b"octet in a name"),
                       (b"INBOX.a\x7fb", b"[CANNOT] control or 8-bit "
                        b"octet in a name"),
                       (b"INBOX.a\nb", b"[CANNOT] control or 8-bit "
                        b"octet in a name"),
                       ("INBOX.Gelöscht".encode(), b"[CANNOT] control or "
                        b"8-bit octet in a name")):
        c.literal = raw
        assert c._simple_command("CREATE") == ("NO", [reply]), raw
    assert sorted(os.listdir(site.maildir())) == before
    assert subscribed(site) is None
    c.logout()


def test_bad_names_dovecot(dsite):
    c = dsite.login()
    for name, reply in (
            (".hidden", b"[CANNOT] mailbox name starts with the separator"),
            ("..", b"[CANNOT] mailbox name starts with the separator"),
            ("a.", b"[CANNOT] mailbox name ends with the separator"),
            ("a/b", b'[CANNOT] "/" in a mailbox name'),
            ("inbox.x", b"[CANNOT] INBOX holds no folders in this "
             b"namespace")):
        assert c.delete(name) == ("NO", [reply]), name[:40]
    assert c.create("..") == ("NO", [
        b"[CANNOT] mailbox name starts with the separator"])
    assert folders(dsite) == []
    c.logout()


def test_mailbox_argument_syntax(site):
    c = site.login()
    for cmd in ("CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE"):
        with pytest.raises(imaplib.IMAP4.error, match="takes a mailbox"):
            c._simple_command(cmd)
        with pytest.raises(imaplib.IMAP4.error,
                           match="mailbox name is not an astring"):
            c._simple_command(cmd, "(a)")
    with pytest.raises(imaplib.IMAP4.error, match="two mailbox names"):
        c._simple_command("RENAME", "INBOX.a")
    c.logout()


# --- CREATE, DELETE, RENAME ---

def test_create_refusals(site):
    c = site.login()
    assert c.create("INBOX") == ("NO", [
        b"[ALREADYEXISTS] CREATE: INBOX always exists"])
    assert c.create("inbox") == ("NO", [
        b"[ALREADYEXISTS] CREATE: INBOX always exists"])
    assert c.create("INBOX.") == ("NO", [
        b"[ALREADYEXISTS] CREATE: INBOX always exists"])
    assert c.create("INBOX.t.") == ("OK", [b"CREATE completed"])
    assert c.create("INBOX.t") == ("NO", [
        b"[ALREADYEXISTS] CREATE: the mailbox already exists"])
    assert folders(site) == [".t"]
    # the longest name a Maildir++ folder can have: "." and 199 octets
    assert c.create("INBOX." + "x" * 199) == ("OK", [b"CREATE completed"])
    assert is_folder(site, "." + "x" * 199)
    # a \Noselect parent may be made a folder
    mkfolder(site, ".p.q")
    assert c.create("INBOX.p") == ("OK", [b"CREATE completed"])
    assert is_folder(site, ".p")
    c.logout()


def test_delete(site):
    c = site.login()
    assert c.delete("INBOX") == ("NO", [
        b"[CANNOT] DELETE: INBOX cannot be deleted"])
    assert c.delete("INBOX.none") == ("NO", [
        b"[NONEXISTENT] DELETE: no such mailbox"])
    c.create("INBOX.leaf")
    put(os.path.join(site.maildir(), ".leaf"), MSG)
    assert c.delete("INBOX.leaf") == ("OK", [b"DELETE completed"])
    assert folders(site) == []
    assert os.listdir(os.path.join(site.maildir(), "tmp")) == []
    c.logout()


def test_delete_with_children(site):
    c = site.login()
    c.create("INBOX.a.b")
    put(os.path.join(site.maildir(), ".a"), MSG)
    # RFC 3501 6.3.4: the messages go, the name stays \Noselect
    assert c.delete("INBOX.a") == ("OK", [b"DELETE completed"])
    assert folders(site) == [".a.b"]
    assert lst(c, '""', "INBOX.*") == [
        b'(\\Noselect \\HasChildren) "." "INBOX.a"',
        b'(\\HasNoChildren) "." "INBOX.a.b"']
    assert c.delete("INBOX.a") == ("NO", [
        b"[CANNOT] DELETE: the name is \\Noselect and has inferior names"])
    assert c.delete("INBOX.a.b") == ("OK", [b"DELETE completed"])
    assert lst(c) == [b'(\\HasNoChildren) "." "INBOX"']
    assert folders(site) == []
    c.logout()


def test_rename_with_children(site):
    c = site.login()
    c.create("INBOX.a.b.c")
    c.create("INBOX.ab")
    m = put(os.path.join(site.maildir(), ".a.b"), MSG, "cur", ":2,S")
    assert c.rename("INBOX.a", "INBOX.z.y") == ("OK", [b"RENAME completed"])
    assert folders(site) == [".ab", ".z", ".z.y", ".z.y.b", ".z.y.b.c"]
    for d in folders(site):
        assert is_folder(site, d)
    assert os.listdir(os.path.join(site.maildir(), ".z.y.b", "cur")) == [
        os.path.basename(m)]
    assert lst(c, '""', "INBOX.z*") == [
        b'(\\HasChildren) "." "INBOX.z"',
        b'(\\HasChildren) "." "INBOX.z.y"',
        b'(\\HasChildren) "." "INBOX.z.y.b"',
        b'(\\HasNoChildren) "." "INBOX.z.y.b.c"']
    assert c.rename("INBOX.none", "INBOX.x") == ("NO", [
        b"[NONEXISTENT] RENAME: no such mailbox"])
    assert c.rename("INBOX.ab", "INBOX.z") == ("NO", [
        b"[ALREADYEXISTS] RENAME: the mailbox already exists"])
    assert c.rename("INBOX.z", "INBOX.z.y.q") == ("NO", [
        b"[CANNOT] RENAME: a mailbox cannot move below itself"])
    assert c.rename("INBOX.ab", "INBOX") == ("NO", [
        b"[ALREADYEXISTS] RENAME: INBOX always exists"])
    assert c.rename("INBOX.ab", "INBOX.Entw&APw-rfe.") == (
        "OK", [b"RENAME completed"])
    assert is_folder(site, ".Entw&APw-rfe")
    c.logout()


def test_rename_inbox(site):
    put(site.maildir(), MSG)
    put(site.maildir(), MSG, "cur", ":2,S")
    c = site.login()
    assert c.rename("INBOX", "INBOX.old") == ("OK", [b"RENAME completed"])
    md = site.maildir()
    assert is_folder(site, ".old")
    assert len(os.listdir(os.path.join(md, ".old", "cur"))) + len(
        os.listdir(os.path.join(md, ".old", "new"))) == 2
    assert os.listdir(os.path.join(md, "new")) == []
    assert os.listdir(os.path.join(md, "cur")) == []
    assert lst(c) == [b'(\\HasChildren) "." "INBOX"',
                      b'(\\HasNoChildren) "." "INBOX.old"']
    assert c.status("INBOX.old", "(MESSAGES UNSEEN)") == (
        "OK", [b'"INBOX.old" (MESSAGES 2 UNSEEN 1)'])
    c.logout()


# --- SUBSCRIBE, UNSUBSCRIBE, LSUB ---

def test_subscriptions_courier(site):
    c = site.login()
    c.create("INBOX.Sent")
    c.create("INBOX.a.b")
    for name in ("INBOX", "INBOX.Sent", "INBOX.a.b", "INBOX.Entw&APw-rfe"):
        assert c.subscribe(name) == ("OK", [b"SUBSCRIBE completed"])
    assert c.subscribe("INBOX.Sent") == ("OK", [b"SUBSCRIBE completed"])
    assert subscribed(site) == ("INBOX\nINBOX.Sent\nINBOX.a.b\n"
                                "INBOX.Entw&APw-rfe\n")
    assert lsub(c) == [
        b'(\\HasChildren) "." "INBOX"',
        b'(\\HasNoChildren \\Sent) "." "INBOX.Sent"',
        b'(\\HasNoChildren) "." "INBOX.a.b"',
        b'(\\Noselect) "." "INBOX.Entw&APw-rfe"']
    # "%" leaves out a.b: its parent a is listed \Noselect (RFC 3501 6.3.9)
    assert lsub(c, '""', "INBOX.%") == [
        b'(\\HasNoChildren \\Sent) "." "INBOX.Sent"',
        b'(\\Noselect) "." "INBOX.a"',
        b'(\\Noselect) "." "INBOX.Entw&APw-rfe"']
    assert lsub(c, '""', "%") == [b'(\\HasChildren) "." "INBOX"']
    assert c.unsubscribe("INBOX.Sent") == ("OK", [b"UNSUBSCRIBE completed"])
    assert c.unsubscribe("INBOX.Sent") == ("OK", [b"UNSUBSCRIBE completed"])
    assert subscribed(site) == "INBOX\nINBOX.a.b\nINBOX.Entw&APw-rfe\n"
    # DELETE and RENAME leave subscriptions alone (RFC 3501 6.3.4, 6.3.5)
    c.rename("INBOX.a", "INBOX.c")
    assert subscribed(site) == "INBOX\nINBOX.a.b\nINBOX.Entw&APw-rfe\n"
    assert lsub(c, '""', "INBOX.a*") == [b'(\\Noselect) "." "INBOX.a.b"']
    c.logout()


def test_subscriptions_from_courier_file(site):
    path = os.path.join(site.maildir(), "courierimapsubscribed")
    with open(path, "w") as f:
        f.write("INBOX\nINBOX.Sent\nINBOX.Gel&APY-scht\n../../etc\n")
    chown(path)
    mkfolder(site, ".Sent")
    c = site.login()
    assert lsub(c) == [b'(\\HasChildren) "." "INBOX"',
                       b'(\\HasNoChildren \\Sent) "." "INBOX.Sent"',
                       b'(\\Noselect) "." "INBOX.Gel&APY-scht"']
    c.logout()


def test_subscriptions_dovecot(dsite):
    c = dsite.login()
    c.create("Sent")
    assert c.subscribe("Sent") == ("OK", [b"SUBSCRIBE completed"])
    assert c.subscribe("inbox") == ("OK", [b"SUBSCRIBE completed"])
    # the file stays courier's, whatever the namespace on the wire
    assert subscribed(dsite) == "INBOX.Sent\nINBOX\n"
    assert lsub(c) == [b'(\\HasNoChildren) "." "INBOX"',
                       b'(\\HasNoChildren \\Sent) "." "Sent"']
    c.logout()


# --- STATUS ---

def test_status(site):
    c = site.login()
    c.create("INBOX.Lists")
    d = os.path.join(site.maildir(), ".Lists")
    put(d, MSG)
    put(d, MSG)
    put(d, MSG, "cur", ":2,S")
    put(d, MSG, "cur", ":2,FS")
    put(d, MSG, "cur", ":2,")
    typ, data = c.status("INBOX.Lists",
                         "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
    assert typ == "OK"
    m = re.fullmatch(rb'"INBOX.Lists" \(MESSAGES 5 RECENT 2 UIDNEXT 6 '
                     rb'UIDVALIDITY (\d+) UNSEEN 3\)', data[0])
    assert m and int(m.group(1)) > 0, data
    # the order asked for; new/ stays as it is (\Recent for a SELECT)
    assert c.status("INBOX.Lists", "(UNSEEN MESSAGES)") == (
        "OK", [b'"INBOX.Lists" (UNSEEN 3 MESSAGES 5)'])
    assert len(os.listdir(os.path.join(d, "new"))) == 2
    typ, data = c.status("INBOX.Lists", "(UIDVALIDITY)")
    assert data == [b'"INBOX.Lists" (UIDVALIDITY %s)' % m.group(1)]
    assert c.status("inbox", "(MESSAGES RECENT)") == (
        "OK", [b'"INBOX" (MESSAGES 0 RECENT 0)'])
    assert c.status("INBOX.none", "(MESSAGES)") == (
        "NO", [b"[NONEXISTENT] STATUS: no such mailbox"])
    mkfolder(site, ".x.y")
    assert c.status("INBOX.x", "(MESSAGES)") == (
        "NO", [b"[NONEXISTENT] STATUS: no such mailbox"])
    for items in ("()", "(MESSAGES BOGUS)", "MESSAGES", "(MESSAGES (X))"):
        with pytest.raises(imaplib.IMAP4.error, match="STATUS takes"):
            c.status("INBOX", items)
    c.logout()


def test_status_dovecot(dsite):
    c = dsite.login()
    c.create("Entw&APw-rfe")
    put(os.path.join(dsite.maildir(), ".Entw&APw-rfe"), MSG)
    assert c.status("Entw&APw-rfe", "(MESSAGES RECENT UNSEEN)") == (
        "OK", [b'"Entw&APw-rfe" (MESSAGES 1 RECENT 1 UNSEEN 1)'])
    c.logout()


# --- the wire, unparsed ---

def test_raw_exact_lines(site):
    r = raw_login(site)
    r.send(b'b CREATE "INBOX.My Folder"\r\n')
    assert answer(r, "b") == [b"b OK CREATE completed"]
    r.send(b"c LIST \"\" *\r\n")
    assert answer(r, "c") == [
        b'* LIST (\\HasChildren) "." "INBOX"',
        b'* LIST (\\HasNoChildren) "." "INBOX.My Folder"',
        b"c OK LIST completed"]
    r.send(b"d NAMESPACE\r\n")
    assert answer(r, "d") == [b'* NAMESPACE (("INBOX." ".")) NIL NIL',
                              b"d OK NAMESPACE completed"]
    # a literal name, synchronizing and not
    r.send(b"e STATUS {15}\r\n")
    assert r.line() == b"+ Ready for literal data"
    r.send(b"INBOX.My Folder (MESSAGES UIDNEXT)\r\n")
    assert answer(r, "e") == [
        b'* STATUS "INBOX.My Folder" (MESSAGES 0 UIDNEXT 1)',
        b"e OK STATUS completed"]
    r.send(b"f DELETE {15+}\r\nINBOX.My Folder\r\n")
    assert answer(r, "f") == [b"f OK DELETE completed"]
    r.send(b"g LOGOUT\r\n")
    assert answer(r, "g")[-1] == b"g OK LOGOUT completed"


# --- the selected state ---

def test_folder_commands_when_selected(site):
    c = site.login()
    c.create("INBOX.Lists")
    d = os.path.join(site.maildir(), ".Lists")
    put(d, MSG)
    put(d, MSG)
    put(d, MSG, "cur", ":2,S")
    assert c.select("INBOX.Lists")[0] == "OK"
    assert os.listdir(os.path.join(d, "new")) == []
    # RFC 3501 6.3.10: what this session sees, its \Recent included
    assert c.status("INBOX.Lists", "(MESSAGES RECENT UNSEEN UIDNEXT)") == (
        "OK", [b'"INBOX.Lists" (MESSAGES 3 RECENT 2 UNSEEN 2 UIDNEXT 4)'])
    assert c.create("INBOX.Lists.old") == ("OK", [b"CREATE completed"])
    assert lst(c, '""', "INBOX.L*") == [
        b'(\\HasChildren) "." "INBOX.Lists"',
        b'(\\HasNoChildren) "." "INBOX.Lists.old"']
    assert c.subscribe("INBOX.Lists") == ("OK", [b"SUBSCRIBE completed"])
    assert lsub(c) == [b'(\\HasChildren) "." "INBOX.Lists"']
    assert c.namespace() == ("OK", [b'(("INBOX." ".")) NIL NIL'])
    assert c.rename("INBOX.Lists.old", "INBOX.Old") == (
        "OK", [b"RENAME completed"])
    assert c.delete("INBOX.Old") == ("OK", [b"DELETE completed"])
    c.logout()
