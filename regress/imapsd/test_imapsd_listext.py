"""imapsd's extended LIST (RFC 5258, LIST-EXTENDED) and its STATUS
return option (RFC 5819, LIST-STATUS), on the wire and unparsed: every
selection option (SUBSCRIBED, SPECIAL-USE, REMOTE, RECURSIVEMATCH) and
return option (SUBSCRIBED, CHILDREN, SPECIAL-USE, STATUS), lists of
patterns, \\NonExistent names and CHILDINFO, STATUS lines after each
selectable folder (the selected one as the session sees it), every
malformed form answered BAD with the session going on, and the RFC 3501
LIST answering as it did before."""

import os

import pytest

import imapfix
from imapfix import Site, mkfolder

MSG = b"From: a@example.org\nSubject: hi\n\nbody\n"


@pytest.fixture
def xsite(workdir, cert):
    """Room for every bad command of one session."""
    s = Site(workdir, cert, conf="max_errors 100\n")
    with s:
        yield s


# --- helpers ---

def put(folder_dir, sub="new", info=""):
    """A message delivered into new/ or cur/; its path."""
    return imapfix.put(folder_dir, MSG, sub, info, host="listext")


class Session:
    """A logged-in raw connection: each command's lines, tagged one last."""

    def __init__(self, site):
        self.r = site.raw()
        assert self.r.line().startswith(b"* OK")
        self.n = 0
        assert self.run("LOGIN ana ana-pw")[-1].startswith(
            b"%s OK [CAPABILITY " % self.tag.encode())

    def run(self, cmd):
        self.n += 1
        self.tag = "t%d" % self.n
        self.r.send(("%s %s\r\n" % (self.tag, cmd)).encode())
        lines = []
        while True:
            ln = self.r.line()
            lines.append(ln)
            if ln.startswith(self.tag.encode() + b" ") or ln == b"":
                return lines

    def ok(self, cmd):
        """The untagged lines of a command answered OK."""
        lines = self.run(cmd)
        assert lines[-1] == b"%s OK %s completed" % (
            self.tag.encode(), cmd.split()[0].encode()), lines
        return lines[:-1]

    def bad(self, cmd, why):
        lines = self.run(cmd)
        assert lines == [b"%s BAD %s" % (self.tag.encode(), why)], lines
        assert self.ok("NOOP") == []

    def close(self):
        self.run("LOGOUT")
        self.r.close()


def tree(site):
    """INBOX.Junk and INBOX.x are only parents (no directory); INBOX.gone
    was deleted after it was subscribed."""
    s = Session(site)
    for name in ("INBOX.Sent", "INBOX.Trash", "INBOX.a.b", "INBOX.gone"):
        assert s.ok("CREATE %s" % name) == []
    mkfolder(site, ".Spam")
    mkfolder(site, ".Junk.old")
    mkfolder(site, ".x.y")
    for name in ("INBOX", "INBOX.Sent", "INBOX.a.b", "INBOX.gone",
                 "INBOX.x.y"):
        assert s.ok("SUBSCRIBE %s" % name) == []
    assert s.ok("DELETE INBOX.gone") == []
    return s


def lines(*rows):
    return [b"* " + row.encode() for row in rows]


# --- capabilities, and LIST as RFC 3501 has it ---

def test_capabilities(site):
    r = site.raw()
    assert r.line().startswith(b"* OK")
    r.send(b"a CAPABILITY\r\n")
    before = r.line().split()
    assert r.line() == b"a OK CAPABILITY completed"
    assert b"LIST-EXTENDED" not in before and b"LIST-STATUS" not in before
    r.close()
    s = Session(site)
    caps = s.ok("CAPABILITY")[0].split()
    assert caps[:2] == [b"*", b"CAPABILITY"]
    for cap in (b"LIST-EXTENDED", b"LIST-STATUS", b"CHILDREN",
                b"SPECIAL-USE"):
        assert caps.count(cap) == 1, caps
    s.close()


def test_basic_list_unchanged(site):
    s = tree(site)
    everything = lines(
        'LIST (\\HasChildren) "." "INBOX"',
        'LIST (\\Noselect \\HasChildren \\Junk) "." "INBOX.Junk"',
        'LIST (\\HasNoChildren) "." "INBOX.Junk.old"',
        'LIST (\\HasNoChildren \\Sent) "." "INBOX.Sent"',
        'LIST (\\HasNoChildren \\Junk) "." "INBOX.Spam"',
        'LIST (\\HasNoChildren \\Trash) "." "INBOX.Trash"',
        'LIST (\\HasChildren) "." "INBOX.a"',
        'LIST (\\HasNoChildren) "." "INBOX.a.b"',
        'LIST (\\Noselect \\HasChildren) "." "INBOX.x"',
        'LIST (\\HasNoChildren) "." "INBOX.x.y"')
    assert s.ok('LIST "" *') == everything
    assert s.ok('LIST "" ""') == lines('LIST (\\Noselect) "." ""')
    assert s.ok('LIST "INBOX." %') == [everything[i]
                                       for i in (1, 3, 4, 5, 6, 8)]
    # LSUB keeps its own \Noselect meanings
    assert s.ok('LSUB "" *') == lines(
        'LSUB (\\HasChildren) "." "INBOX"',
        'LSUB (\\HasNoChildren \\Sent) "." "INBOX.Sent"',
        'LSUB (\\HasNoChildren) "." "INBOX.a.b"',
        'LSUB (\\HasNoChildren) "." "INBOX.x.y"',
        'LSUB (\\Noselect) "." "INBOX.gone"')
    s.close()


# --- selection and return options ---

def test_no_options(site):
    s = tree(site)
    plain = lines(
        'LIST () "." "INBOX"',
        'LIST (\\NonExistent \\HasChildren) "." "INBOX.Junk"',
        'LIST () "." "INBOX.Junk.old"',
        'LIST () "." "INBOX.Sent"',
        'LIST () "." "INBOX.Spam"',
        'LIST () "." "INBOX.Trash"',
        'LIST () "." "INBOX.a"',
        'LIST () "." "INBOX.a.b"',
        'LIST (\\NonExistent \\HasChildren) "." "INBOX.x"',
        'LIST () "." "INBOX.x.y"')
    assert s.ok('LIST () "" "*"') == plain
    assert s.ok('LIST "" "*" RETURN ()') == plain
    assert s.ok('LIST () "" "*" RETURN ()') == plain
    assert s.ok('LIST "" ("*")') == plain
    # REMOTE is taken: there are no remote mailboxes to add
    assert s.ok('LIST (REMOTE) "" "*"') == plain
    # the empty pattern is no request for the delimiter here
    assert s.ok('LIST () "" ""') == []
    assert s.ok('LIST "" ("")') == []
    s.close()


def test_return_children_and_special_use(site):
    s = tree(site)
    assert s.ok('LIST "" "*" RETURN (CHILDREN)') == lines(
        'LIST (\\HasChildren) "." "INBOX"',
        'LIST (\\NonExistent \\HasChildren) "." "INBOX.Junk"',
        'LIST (\\HasNoChildren) "." "INBOX.Junk.old"',
        'LIST (\\HasNoChildren) "." "INBOX.Sent"',
        'LIST (\\HasNoChildren) "." "INBOX.Spam"',
        'LIST (\\HasNoChildren) "." "INBOX.Trash"',
        'LIST (\\HasChildren) "." "INBOX.a"',
        'LIST (\\HasNoChildren) "." "INBOX.a.b"',
        'LIST (\\NonExistent \\HasChildren) "." "INBOX.x"',
        'LIST (\\HasNoChildren) "." "INBOX.x.y"')
    # no special use for a name that is no folder (INBOX.Junk)
    assert s.ok('LIST "" "INBOX.%" RETURN (SPECIAL-USE)') == lines(
        'LIST (\\NonExistent \\HasChildren) "." "INBOX.Junk"',
        'LIST (\\Sent) "." "INBOX.Sent"',
        'LIST (\\Junk) "." "INBOX.Spam"',
        'LIST (\\Trash) "." "INBOX.Trash"',
        'LIST () "." "INBOX.a"',
        'LIST (\\NonExistent \\HasChildren) "." "INBOX.x"')
    # the SPECIAL-USE selection option (RFC 6154 2) implies the return one
    special = lines(
        'LIST (\\Sent) "." "INBOX.Sent"',
        'LIST (\\Junk) "." "INBOX.Spam"',
        'LIST (\\Trash) "." "INBOX.Trash"')
    assert s.ok('LIST (SPECIAL-USE) "" "*"') == special
    assert s.ok('LIST (special-use) "" "*" RETURN (SPECIAL-USE)') == special
    assert s.ok('LIST (SPECIAL-USE) "" "*" RETURN (CHILDREN)') == lines(
        'LIST (\\HasNoChildren \\Sent) "." "INBOX.Sent"',
        'LIST (\\HasNoChildren \\Junk) "." "INBOX.Spam"',
        'LIST (\\HasNoChildren \\Trash) "." "INBOX.Trash"')
    # options given twice count once (RFC 5258 3)
    assert s.ok('LIST (SPECIAL-USE SPECIAL-USE) "" "*" '
                'RETURN (SPECIAL-USE SPECIAL-USE)') == special
    s.close()


def test_subscribed(site):
    s = tree(site)
    # the return option marks names, it adds none: INBOX.gone stays out
    assert s.ok('LIST "" "*" RETURN (SUBSCRIBED)') == lines(
        'LIST (\\Subscribed) "." "INBOX"',
        'LIST (\\NonExistent \\HasChildren) "." "INBOX.Junk"',
        'LIST () "." "INBOX.Junk.old"',
        'LIST (\\Subscribed) "." "INBOX.Sent"',
        'LIST () "." "INBOX.Spam"',
        'LIST () "." "INBOX.Trash"',
        'LIST () "." "INBOX.a"',
        'LIST (\\Subscribed) "." "INBOX.a.b"',
        'LIST (\\NonExistent \\HasChildren) "." "INBOX.x"',
        'LIST (\\Subscribed) "." "INBOX.x.y"')
    # the selection option lists what is subscribed, a deleted folder
    # as \NonExistent, with accurate attributes (no LSUB \Noselect)
    subs = lines(
        'LIST (\\Subscribed) "." "INBOX"',
        'LIST (\\Subscribed) "." "INBOX.Sent"',
        'LIST (\\Subscribed) "." "INBOX.a.b"',
        'LIST (\\NonExistent \\Subscribed) "." "INBOX.gone"',
        'LIST (\\Subscribed) "." "INBOX.x.y"')
    assert s.ok('LIST (SUBSCRIBED) "" "*"') == subs
    assert s.ok('LIST (SUBSCRIBED REMOTE) "" "*" RETURN (SUBSCRIBED)') == subs
    assert s.ok('LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN SPECIAL-USE)'
                ) == lines(
        'LIST (\\HasChildren \\Subscribed) "." "INBOX"',
        'LIST (\\HasNoChildren \\Subscribed \\Sent) "." "INBOX.Sent"',
        'LIST (\\HasNoChildren \\Subscribed) "." "INBOX.a.b"',
        'LIST (\\NonExistent \\HasNoChildren \\Subscribed) "." "INBOX.gone"',
        'LIST (\\HasNoChildren \\Subscribed) "." "INBOX.x.y"')
    # every selection option must hold
    assert s.ok('LIST (SUBSCRIBED SPECIAL-USE) "" "*"') == lines(
        'LIST (\\Subscribed \\Sent) "." "INBOX.Sent"')
    assert s.ok('LIST (SUBSCRIBED) "" "INBOX.%"') == subs[1:2] + subs[3:4]
    s.close()


def test_recursivematch_childinfo(site):
    s = tree(site)
    # INBOX.p.q is subscribed under no folder at all
    assert s.ok("SUBSCRIBE INBOX.p.q") == []
    assert s.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"') == lines(
        'LIST (\\Subscribed) "." "INBOX" ("CHILDINFO" ("SUBSCRIBED"))')
    # a parent that is not subscribed comes with CHILDINFO when "%" leaves
    # its subscribed inferior out, whether it is a folder (a), only a
    # parent (x) or no name at all (p); no STATUS for those (RFC 5819 3)
    level = lines(
        'LIST (\\Subscribed) "." "INBOX.Sent"',
        'LIST () "." "INBOX.a" ("CHILDINFO" ("SUBSCRIBED"))',
        'LIST (\\NonExistent \\Subscribed) "." "INBOX.gone"',
        'LIST (\\NonExistent) "." "INBOX.p" ("CHILDINFO" ("SUBSCRIBED"))',
        'LIST (\\NonExistent \\HasChildren) "." "INBOX.x" '
        '("CHILDINFO" ("SUBSCRIBED"))')
    assert s.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "INBOX." "%"') == level
    assert s.ok('LIST (RECURSIVEMATCH SUBSCRIBED) "" "INBOX.%"') == level
    assert s.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "INBOX.%" '
                'RETURN (STATUS (MESSAGES))') == [
        level[0], b'* STATUS "INBOX.Sent" (MESSAGES 0)'] + level[1:]
    # without RECURSIVEMATCH no parent and no CHILDINFO
    assert s.ok('LIST (SUBSCRIBED) "" "INBOX.%"') == [level[0], level[2]]
    # "*" answers every inferior itself: the parents are left out
    assert s.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "INBOX.*"') == lines(
        'LIST (\\Subscribed) "." "INBOX.Sent"',
        'LIST (\\Subscribed) "." "INBOX.a.b"',
        'LIST (\\NonExistent \\Subscribed) "." "INBOX.gone"',
        'LIST (\\NonExistent \\Subscribed) "." "INBOX.p.q"',
        'LIST (\\Subscribed) "." "INBOX.x.y"')
    # a subscribed parent with a subscribed inferior carries CHILDINFO
    # even when that inferior is answered too (RFC 5258 example 9)
    assert s.ok("SUBSCRIBE INBOX.a") == []
    assert s.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "INBOX.a*" '
                'RETURN (CHILDREN)') == lines(
        'LIST (\\HasChildren \\Subscribed) "." "INBOX.a" '
        '("CHILDINFO" ("SUBSCRIBED"))',
        'LIST (\\HasNoChildren \\Subscribed) "." "INBOX.a.b"')
    s.close()


def test_multiple_patterns(site):
    s = tree(site)
    # each name once, in the folder order, whatever pattern matched it
    assert s.ok('LIST "" ("INBOX.a*" INBOX "INBOX.S%" "*.b" inbox.a)') == \
        lines('LIST () "." "INBOX"',
              'LIST () "." "INBOX.Sent"',
              'LIST () "." "INBOX.Spam"',
              'LIST () "." "INBOX.a"',
              'LIST () "." "INBOX.a.b"')
    # the reference goes before each pattern; "" among them is ignored
    assert s.ok('LIST "INBOX." ("" a "x.%") RETURN (CHILDREN)') == lines(
        'LIST (\\HasChildren) "." "INBOX.a"',
        'LIST (\\HasNoChildren) "." "INBOX.x.y"')
    assert s.ok('LIST (SUBSCRIBED) "" (nothing "INBOX.g*" "INBOX.x.*")'
                ) == lines(
        'LIST (\\NonExistent \\Subscribed) "." "INBOX.gone"',
        'LIST (\\Subscribed) "." "INBOX.x.y"')
    # a literal among them
    s.r.send(b"l1 LIST \"\" (INBOX {10+}\r\nINBOX.Sent)\r\n")
    assert s.r.line() == b'* LIST () "." "INBOX"'
    assert s.r.line() == b'* LIST () "." "INBOX.Sent"'
    assert s.r.line() == b"l1 OK LIST completed"
    # up to 32 patterns
    pats = " ".join(["nothing%d" % i for i in range(31)] + ["INBOX"])
    assert s.ok('LIST "" (%s)' % pats) == lines('LIST () "." "INBOX"')
    s.close()


def test_dovecot_namespace(workdir, cert):
    with Site(workdir, cert, conf="namespace dovecot\n") as site:
        s = Session(site)
        for name in ("Sent", "a.b"):
            assert s.ok("CREATE %s" % name) == []
            assert s.ok("SUBSCRIBE %s" % name) == []
        # INBOX is no parent here, "a" is
        assert s.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" '
                    'RETURN (CHILDREN SPECIAL-USE)') == lines(
            'LIST (\\HasNoChildren \\Subscribed \\Sent) "." "Sent"',
            'LIST (\\HasChildren) "." "a" ("CHILDINFO" ("SUBSCRIBED"))')
        assert s.ok('LIST "" (a* INBOX) RETURN (STATUS (MESSAGES))') == \
            lines('LIST () "." "INBOX"',
                  'STATUS "INBOX" (MESSAGES 0)',
                  'LIST () "." "a"',
                  'STATUS "a" (MESSAGES 0)',
                  'LIST () "." "a.b"',
                  'STATUS "a.b" (MESSAGES 0)')
        s.close()


# --- LIST-STATUS ---

def test_list_status(site):
    s = tree(site)
    sent = os.path.join(site.maildir(), ".Sent")
    put(sent)
    put(sent)
    put(sent, "cur", ":2,S")
    put(os.path.join(site.maildir(), ".a"), "cur", ":2,")
    assert s.ok('LIST "" "INBOX.S%" RETURN (STATUS (MESSAGES UNSEEN))') == \
        lines('LIST () "." "INBOX.Sent"',
              'STATUS "INBOX.Sent" (MESSAGES 3 UNSEEN 2)',
              'LIST () "." "INBOX.Spam"',
              'STATUS "INBOX.Spam" (MESSAGES 0 UNSEEN 0)')
    # the items in the order asked for; new/ stays as it is
    assert s.ok('LIST "" "INBOX.Sent" RETURN (STATUS (RECENT UIDNEXT '
                'MESSAGES))') == lines(
        'LIST () "." "INBOX.Sent"',
        'STATUS "INBOX.Sent" (RECENT 2 UIDNEXT 4 MESSAGES 3)')
    assert len(os.listdir(os.path.join(sent, "new"))) == 2
    uv = s.ok('STATUS INBOX.Sent (UIDVALIDITY)')[0]
    assert s.ok('LIST "" "INBOX.Sent" RETURN (STATUS (UIDVALIDITY))') == \
        [b'* LIST () "." "INBOX.Sent"', uv]
    # after every selectable folder, never after a name that is none
    assert s.ok('LIST "" "*" RETURN (CHILDREN STATUS (MESSAGES))') == lines(
        'LIST (\\HasChildren) "." "INBOX"',
        'STATUS "INBOX" (MESSAGES 0)',
        'LIST (\\NonExistent \\HasChildren) "." "INBOX.Junk"',
        'LIST (\\HasNoChildren) "." "INBOX.Junk.old"',
        'STATUS "INBOX.Junk.old" (MESSAGES 0)',
        'LIST (\\HasNoChildren) "." "INBOX.Sent"',
        'STATUS "INBOX.Sent" (MESSAGES 3)',
        'LIST (\\HasNoChildren) "." "INBOX.Spam"',
        'STATUS "INBOX.Spam" (MESSAGES 0)',
        'LIST (\\HasNoChildren) "." "INBOX.Trash"',
        'STATUS "INBOX.Trash" (MESSAGES 0)',
        'LIST (\\HasChildren) "." "INBOX.a"',
        'STATUS "INBOX.a" (MESSAGES 1)',
        'LIST (\\HasNoChildren) "." "INBOX.a.b"',
        'STATUS "INBOX.a.b" (MESSAGES 0)',
        'LIST (\\NonExistent \\HasChildren) "." "INBOX.x"',
        'LIST (\\HasNoChildren) "." "INBOX.x.y"',
        'STATUS "INBOX.x.y" (MESSAGES 0)')
    # a subscribed name that is no folder has none either
    assert s.ok('LIST (SUBSCRIBED) "" "INBOX.*" RETURN (STATUS (UNSEEN) '
                'STATUS (MESSAGES))') == lines(
        'LIST (\\Subscribed) "." "INBOX.Sent"',
        'STATUS "INBOX.Sent" (UNSEEN 2)',
        'LIST (\\Subscribed) "." "INBOX.a.b"',
        'STATUS "INBOX.a.b" (UNSEEN 0)',
        'LIST (\\NonExistent \\Subscribed) "." "INBOX.gone"',
        'LIST (\\Subscribed) "." "INBOX.x.y"',
        'STATUS "INBOX.x.y" (UNSEEN 0)')
    s.close()


def test_list_status_of_the_selected_folder(site):
    s = tree(site)
    sent = os.path.join(site.maildir(), ".Sent")
    put(sent)
    put(sent)
    put(sent, "cur", ":2,S")
    cmd = 'LIST "" "INBOX.Sent" RETURN (STATUS (MESSAGES RECENT UNSEEN))'
    sel = s.run("SELECT INBOX.Sent")
    assert sel[-1] == b"%s OK [READ-WRITE] SELECT completed" % (
        s.tag.encode())
    assert b"* 3 EXISTS" in sel and b"* 2 RECENT" in sel
    # a delivery this session has not been told of yet
    late = put(sent)
    other = Session(site)
    # the session's view: the last EXISTS and RECENT it sent
    assert s.ok(cmd) == lines('LIST () "." "INBOX.Sent"',
                              'STATUS "INBOX.Sent" (MESSAGES 3 RECENT 2 '
                              'UNSEEN 2)')
    assert s.ok("STATUS INBOX.Sent (MESSAGES RECENT UNSEEN)") == lines(
        'STATUS "INBOX.Sent" (MESSAGES 3 RECENT 2 UNSEEN 2)')
    # another session sees the store: new/ holds the late one
    assert other.ok(cmd) == lines('LIST () "." "INBOX.Sent"',
                                  'STATUS "INBOX.Sent" (MESSAGES 4 RECENT 1 '
                                  'UNSEEN 3)')
    assert s.ok("NOOP") == [b"* 4 EXISTS", b"* 3 RECENT"]
    assert s.ok(cmd)[1] == b'* STATUS "INBOX.Sent" (MESSAGES 4 RECENT 3 ' \
        b'UNSEEN 3)'
    # another process removes the late message: FETCH may not tell of it
    # (RFC 3501 7.4.1), so the session still counts it
    gone = [n for n in os.listdir(os.path.join(sent, "cur"))
            if n.startswith(os.path.basename(late))]
    assert len(gone) == 1
    os.unlink(os.path.join(sent, "cur", gone[0]))
    assert [ln for ln in s.ok("FETCH 1 FLAGS")
            if not ln.startswith(b"* 1 FETCH (FLAGS (")] == []
    assert s.ok(cmd)[1] == b'* STATUS "INBOX.Sent" (MESSAGES 4 RECENT 3 ' \
        b'UNSEEN 3)'
    assert other.ok(cmd)[1] == b'* STATUS "INBOX.Sent" (MESSAGES 3 ' \
        b'RECENT 0 UNSEEN 2)'
    assert s.ok("NOOP") == [b"* 4 EXPUNGE", b"* 2 RECENT"]
    assert s.ok(cmd)[1] == b'* STATUS "INBOX.Sent" (MESSAGES 3 RECENT 2 ' \
        b'UNSEEN 2)'
    other.close()
    s.close()


# --- malformed: BAD, and the session goes on ---

def test_bad_forms(xsite):
    s = tree(xsite)
    usage = b"LIST takes a reference and a mailbox pattern"
    for cmd in ('LIST', 'LIST ()', 'LIST () ""', 'LIST "" ()',
                'LIST (SUBSCRIBED) "" ()', 'LIST "" (("INBOX"))',
                'LIST "" (INBOX (x))', 'LIST (SUBSCRIBED) ("") "*"',
                'LIST "" "*" RETURN', 'LIST "" "*" RETURN CHILDREN',
                'LIST "" "*" RETURNS (CHILDREN)',
                'LIST "" "*" RETURN (CHILDREN) (SUBSCRIBED)',
                'LIST "" "*" (CHILDREN)', 'LIST "" "*" "*"',
                'LIST (SUBSCRIBED) "" "*" RETURN () x',
                'LIST "" \\Seen', 'LIST () "" (\\Seen)'):
        s.bad(cmd, usage)
    for cmd in ('LIST (BOGUS) "" "*"', 'LIST ("SUBSCRIBED") "" "*"',
                'LIST (SUBSCRIBED CHILDREN) "" "*"',
                'LIST ((SUBSCRIBED)) "" "*"', 'LIST (STATUS) "" "*"'):
        s.bad(cmd, b"LIST: unknown selection option")
    ret = (b"LIST: unknown return option, or STATUS without a list of "
           b"MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN")
    for cmd in ('LIST "" "*" RETURN (BOGUS)',
                'LIST "" "*" RETURN (REMOTE)',
                'LIST "" "*" RETURN (RECURSIVEMATCH)',
                'LIST "" "*" RETURN (STATUS)',
                'LIST "" "*" RETURN (STATUS ())',
                'LIST "" "*" RETURN (STATUS MESSAGES)',
                'LIST "" "*" RETURN (STATUS (MESSAGES BOGUS))',
                'LIST "" "*" RETURN (STATUS (MESSAGES (UNSEEN)))',
                'LIST "" "*" RETURN (STATUS (MESSAGES) STATUS (X))',
                'LIST "" "*" RETURN ("CHILDREN")'):
        s.bad(cmd, ret)
    rec = b"LIST: RECURSIVEMATCH needs the SUBSCRIBED selection option"
    for cmd in ('LIST (RECURSIVEMATCH) "" "*"',
                'LIST (REMOTE RECURSIVEMATCH) "" "*"',
                'LIST (SPECIAL-USE RECURSIVEMATCH) "" "*"',
                'LIST (RECURSIVEMATCH) "" "*" RETURN (SUBSCRIBED)'):
        s.bad(cmd, rec)
    s.bad('LIST "" (%s)' % " ".join("p%d" % i for i in range(33)),
          b"LIST takes at most 32 patterns")
    s.bad('LIST "" (INBOX %s)' % ("a" * 1100),
          b"LIST: the pattern is too long")
    s.bad('LIST "%s" (INBOX x)' % ("a" * 1100),
          b"LIST: the pattern is too long")
    # 4096 octets of patterns in all, the reference counted each time
    four = " ".join("%s%d" % ("b" * 1017, i) for i in range(4))
    assert s.ok('LIST "INBOX." (%s)' % four) == []
    s.bad('LIST "INBOX." (%s x)' % four, b"LIST: the patterns are too long")
    # still the same session, with the same answers
    assert s.ok('LIST (SUBSCRIBED) "" "INBOX.S*"') == lines(
        'LIST (\\Subscribed) "." "INBOX.Sent"')
    s.close()


def test_bad_forms_leave_the_disk_alone(site):
    s = tree(site)
    before = sorted(os.listdir(site.maildir()))
    with open(os.path.join(site.maildir(), "courierimapsubscribed")) as f:
        subs = f.read()
    for cmd in ('LIST (SUBSCRIBED BOGUS) "" "*"',
                'LIST (SUBSCRIBED) "" "*" RETURN (STATUS (X))'):
        assert s.run(cmd)[-1].startswith(b"%s BAD " % s.tag.encode())
    assert sorted(os.listdir(site.maildir())) == before
    with open(os.path.join(site.maildir(), "courierimapsubscribed")) as f:
        assert f.read() == subs
    s.close()
