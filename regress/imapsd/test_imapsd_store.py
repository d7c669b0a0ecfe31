"""imapsd's commands that change mail: STORE (flags in the file names,
keywords in buzon-keywords, .SILENT), EXPUNGE and UID EXPUNGE (order of
the untagged EXPUNGEs), COPY and MOVE with COPYUID, APPEND with flags,
date and APPENDUID, each checked against the uid lists on disk;
TRYCREATE, read-only refusals, a second session seeing the changes at
NOOP, and bad input each with its reply."""

import calendar
import imaplib
import os
import re
import time

import pytest

import buzontest
from imapfix import Site
from test_imapsd_fetch import SIMPLE, Session, files, make_folder, put

KWFILE = "buzon-keywords"


def folder(site, dirname=""):
    return os.path.join(site.maildir(), dirname)


def uidlist(site, dirname=""):
    """(uidvalidity, {base name: uid}) of a folder's buzon-uidlist."""
    with open(os.path.join(folder(site, dirname), "buzon-uidlist")) as f:
        head = f.readline().split()
        uids = {}
        for line in f:
            w = line.split()
            uids[w[1]] = int(w[0])
    return int(head[2]), uids


def keywords(site, dirname=""):
    """(keyword names, {base name: [names]}) of buzon-keywords."""
    names, msgs = [], {}
    path = os.path.join(folder(site, dirname), KWFILE)
    if not os.path.exists(path):
        return names, msgs
    with open(path) as f:
        for line in f.read().splitlines()[1:]:
            w = line.split()
            if w[0] == "K":
                names.append(w[1])
            elif w[0] == "M":
                msgs[w[1]] = [names[int(i)] for i in w[2:]]
    return names, msgs


def cur(site, dirname=""):
    return sorted(os.listdir(os.path.join(folder(site, dirname), "cur")))


def info(site, base, dirname=""):
    """The info part (after ":2,") of the file of base in cur/."""
    for name in cur(site, dirname):
        if name.split(":2,")[0] == base:
            return name.split(":2,", 1)[1]
    raise AssertionError(base)


def expand(uidset):
    """A COPYUID set in its order: "1:3,7" -> [1, 2, 3, 7]."""
    out = []
    for part in uidset.split(b","):
        a, _, b = part.partition(b":")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def copyuid(text):
    m = re.search(rb"\[COPYUID (\d+) ([\d:,]+) ([\d:,]+)\]", text)
    assert m, text
    return int(m.group(1)), expand(m.group(2)), expand(m.group(3))


def check_copyuid(site, text, src_dir, src_bases, dst_dir):
    """COPYUID's values against both uid lists: the destination's UIDs
    are of files whose message (by content) came from those sources."""
    v, src, dst = copyuid(text)
    dv, duids = uidlist(site, dst_dir)
    assert v == dv
    assert len(src) == len(dst)
    by_uid = {u: b for b, u in duids.items()}
    for s_uid, d_uid in zip(src, dst):
        assert d_uid in by_uid
        assert src_bases[s_uid] is not None
    return src, dst


def append(s, args, data, sync=False):
    """APPEND with a literal; (untagged, tagged)."""
    s.n += 1
    tag = b"t%d" % s.n
    lit = b"{%d}" % len(data) if sync else b"{%d+}" % len(data)
    s.r.send(tag + b" APPEND " + args.encode() + b" " + lit + b"\r\n")
    if sync:
        assert s.r.line() == b"+ Ready for literal data"
    s.r.send(data + b"\r\n")
    lines = []
    while True:
        line = s.response_line()
        if line.startswith(tag + b" "):
            return lines, line[len(tag) + 1:]
        lines.append(line)


# --- STORE -----------------------------------------------------------------

def test_store_flags_on_disk(site):
    a = put(site, SIMPLE)
    b = put(site, SIMPLE, "P")
    c = put(site, SIMPLE, "S")
    s = Session(site)
    s.cmd("SELECT INBOX")
    assert s.cmd("STORE 1 +FLAGS (\\Seen \\Flagged)") == (
        [b"* 1 FETCH (FLAGS (\\Flagged \\Seen))"], b"OK STORE completed")
    assert info(site, a) == "FS"
    assert s.cmd("STORE 1 -FLAGS \\Flagged") == (
        [b"* 1 FETCH (FLAGS (\\Seen))"], b"OK STORE completed")
    assert info(site, a) == "S"
    # FLAGS replaces; a letter of another program ("P") stays.
    assert s.cmd("store 1:2 flags (\\draft \\ANSWERED)") == (
        [b"* 1 FETCH (FLAGS (\\Answered \\Draft))",
         b"* 2 FETCH (FLAGS (\\Answered \\Draft))"], b"OK STORE completed")
    assert info(site, a) == "DR"
    assert info(site, b) == "DPR"
    assert s.cmd("UID STORE 3 FLAGS ()") == (
        [b"* 3 FETCH (FLAGS () UID 3)"], b"OK UID STORE completed")
    assert info(site, c) == ""
    assert s.cmd("UID STORE 2:* +FLAGS \\Deleted \\Seen") == (
        [b"* 2 FETCH (FLAGS (\\Answered \\Deleted \\Seen \\Draft) UID 2)",
         b"* 3 FETCH (FLAGS (\\Deleted \\Seen) UID 3)"],
        b"OK UID STORE completed")
    assert info(site, b) == "DPRST"
    # A UID set naming nothing: OK, no FETCH.
    assert s.cmd("UID STORE 50:60 +FLAGS \\Seen") == (
        [], b"OK UID STORE completed")
    assert s.cmd("FETCH 1:3 FLAGS")[0] == [
        b"* 1 FETCH (FLAGS (\\Answered \\Draft))",
        b"* 2 FETCH (FLAGS (\\Answered \\Deleted \\Seen \\Draft))",
        b"* 3 FETCH (FLAGS (\\Deleted \\Seen))"]
    s.close()


def test_store_silent(site):
    a = put(site, SIMPLE)
    b = put(site, SIMPLE)
    s = Session(site)
    s.cmd("SELECT INBOX")
    assert s.cmd("STORE 1 +FLAGS.SILENT (\\Seen)") == (
        [], b"OK STORE completed")
    assert info(site, a) == "S"
    # .SILENT still reports what others changed (RFC 3501 6.4.6).
    path = os.path.join(folder(site), "cur", b)
    os.rename(path + ":2,", path + ":2,F")
    assert s.cmd("UID STORE 1 -FLAGS.SILENT (\\Seen)") == (
        [b"* 2 FETCH (UID 2 FLAGS (\\Flagged))"], b"OK UID STORE completed")
    assert info(site, a) == ""
    s.close()


def test_store_keywords(site):
    a = put(site, SIMPLE)
    b = put(site, SIMPLE)
    s = Session(site)
    s.cmd("SELECT INBOX")
    lines, tagged = s.cmd("STORE 1:2 +FLAGS ($Junk Work \\Seen)")
    assert lines == [
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk "
        b"Work)",
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
        b"\\Draft $Junk Work \\*)] Flags permitted.",
        b"* 1 FETCH (FLAGS (\\Seen $Junk Work))",
        b"* 2 FETCH (FLAGS (\\Seen $Junk Work))"]
    assert tagged == b"OK STORE completed"
    assert keywords(site) == (["$Junk", "Work"],
                              {a: ["$Junk", "Work"], b: ["$Junk", "Work"]})
    # Keywords match in any case; known ones make no new FLAGS.
    assert s.cmd("STORE 2 -FLAGS (work)") == (
        [b"* 2 FETCH (FLAGS (\\Seen $Junk))"], b"OK STORE completed")
    assert s.cmd("STORE 1 -FLAGS (Unknown)") == (
        [b"* 1 FETCH (FLAGS (\\Seen $Junk Work))"], b"OK STORE completed")
    assert s.cmd("STORE 1 FLAGS (Work)") == (
        [b"* 1 FETCH (FLAGS (Work))"], b"OK STORE completed")
    assert keywords(site)[1] == {a: ["Work"], b: ["$Junk"]}
    assert info(site, a) == ""
    s.close()
    # A new session reads them back.
    s = Session(site)
    lines, _ = s.cmd("EXAMINE INBOX")
    assert lines[0].endswith(b"\\Draft $Junk Work)")
    assert s.cmd("FETCH 1:2 FLAGS")[0] == [b"* 1 FETCH (FLAGS (Work))",
                                           b"* 2 FETCH (FLAGS (\\Seen $Junk))"]
    s.close()


def test_store_keyword_limit(site):
    put(site, SIMPLE)
    s = Session(site)
    s.cmd("SELECT INBOX")
    first = " ".join("k%d" % i for i in range(60))
    assert s.cmd("STORE 1 +FLAGS.SILENT (%s)" % first)[1] == \
        b"OK STORE completed"
    lines, tagged = s.cmd("STORE 1 +FLAGS.SILENT (k1 x1 x2 x3 x4 x5)")
    assert tagged == b"NO [LIMIT] STORE: at most 64 keywords per mailbox"
    # Those that fit were made: FLAGS says so, without \* now.
    assert lines[-1].endswith(b" x4)] Flags permitted.")
    assert len(keywords(site)[0]) == 64
    assert s.cmd("STORE 1 +FLAGS.SILENT (k2 x1)")[1] == b"OK STORE completed"
    s.close()


# --- EXPUNGE ---------------------------------------------------------------

def test_expunge_order(site):
    bases = [put(site, SIMPLE, "T" if i in (1, 2, 4) else "")
             for i in range(6)]
    s = Session(site)
    s.cmd("SELECT INBOX")
    lines, tagged = s.cmd("EXPUNGE")
    # Highest first: every number is valid when the client reads it.
    assert lines == [b"* 5 EXPUNGE", b"* 3 EXPUNGE", b"* 2 EXPUNGE"]
    assert tagged == b"OK EXPUNGE completed"
    assert [n.split(":2,")[0] for n in cur(site)] == \
        sorted([bases[0], bases[3], bases[5]])
    assert s.cmd("FETCH 1:* UID")[0] == [b"* 1 FETCH (UID 1)",
                                         b"* 2 FETCH (UID 4)",
                                         b"* 3 FETCH (UID 6)"]
    assert s.cmd("EXPUNGE") == ([], b"OK EXPUNGE completed")
    # STORE then EXPUNGE in one session.
    s.cmd("STORE 1,3 +FLAGS.SILENT \\Deleted")
    assert s.cmd("EXPUNGE")[0] == [b"* 3 EXPUNGE", b"* 1 EXPUNGE"]
    assert s.cmd("FETCH 1:* UID")[0] == [b"* 1 FETCH (UID 4)"]
    s.close()


def test_uid_expunge(site):
    for _ in range(4):
        put(site, SIMPLE, "T")
    s = Session(site)
    s.cmd("SELECT INBOX")
    assert s.cmd("UID EXPUNGE 2:3") == ([b"* 3 EXPUNGE", b"* 2 EXPUNGE"],
                                        b"OK UID EXPUNGE completed")
    assert s.cmd("UID EXPUNGE 2:3") == ([], b"OK UID EXPUNGE completed")
    assert len(cur(site)) == 2
    assert s.cmd("UID EXPUNGE 4,9") == ([b"* 2 EXPUNGE"],
                                        b"OK UID EXPUNGE completed")
    assert s.cmd("FETCH 1:* UID")[0] == [b"* 1 FETCH (UID 1)"]
    s.close()


def test_expunge_sees_others_deleted(site):
    a = put(site, SIMPLE)
    put(site, SIMPLE)
    s = Session(site)
    s.cmd("SELECT INBOX")
    path = os.path.join(folder(site), "cur", a)
    os.rename(path + ":2,", path + ":2,T")
    lines, tagged = s.cmd("EXPUNGE")
    assert lines == [b"* 1 FETCH (FLAGS (\\Deleted))", b"* 1 EXPUNGE"]
    assert tagged == b"OK EXPUNGE completed"
    s.close()


# --- read-only -------------------------------------------------------------

def test_read_only_refusals(site):
    a = put(site, SIMPLE, "T")
    make_folder(site, ".Trash")
    s = Session(site)
    s.cmd("EXAMINE INBOX")
    for cmd, verb in (("STORE 1 +FLAGS \\Seen", "STORE"),
                      ("UID STORE 1 +FLAGS \\Seen", "UID STORE"),
                      ("EXPUNGE", "EXPUNGE"),
                      ("UID EXPUNGE 1", "UID EXPUNGE"),
                      ("MOVE 1 INBOX.Trash", "MOVE"),
                      ("UID MOVE 1 INBOX.Trash", "UID MOVE")):
        assert s.cmd(cmd) == (
            [], b"NO [READ-ONLY] %s: the mailbox is read-only" %
            verb.encode()), cmd
    assert info(site, a) == "T"
    assert cur(site, ".Trash") == []
    # COPY reads only.
    lines, tagged = s.cmd("COPY 1 INBOX.Trash")
    assert tagged.startswith(b"OK [COPYUID ")
    assert len(cur(site, ".Trash")) == 1
    assert s.cmd("CLOSE") == ([], b"OK CLOSE completed")
    assert len(cur(site)) == 1
    s.close()


# --- COPY and MOVE ---------------------------------------------------------

def test_copy_copyuid(site):
    bases = [None] + [put(site, SIMPLE + b"n%d\n" % i, "S" if i else "F")
                      for i in range(3)]
    make_folder(site, ".Trash")
    s = Session(site)
    s.cmd("SELECT INBOX")
    s.cmd("STORE 2 +FLAGS.SILENT ($Work)")
    lines, tagged = s.cmd("COPY 1:3 INBOX.Trash")
    assert lines == []
    v, _ = uidlist(site, ".Trash")
    assert tagged == b"OK [COPYUID %d 1:3 1:3] Copy completed." % v
    check_copyuid(site, tagged, "", bases, ".Trash")
    # The copies: same octets, flags and keywords, new names.
    _, duids = uidlist(site, ".Trash")
    by_uid = {u: b for b, u in duids.items()}
    for i in (1, 2, 3):
        assert info(site, by_uid[i], ".Trash") == ("F" if i == 1 else "S")
        with open(os.path.join(folder(site, ".Trash"), "cur",
                               by_uid[i] + ":2," + info(site, by_uid[i],
                                                         ".Trash")),
                  "rb") as f:
            assert f.read() == SIMPLE + b"n%d\n" % (i - 1)
        assert by_uid[i] not in bases
    assert keywords(site, ".Trash")[1] == {by_uid[2]: ["$Work"]}
    # UID COPY: source UIDs, and the next destination UIDs.
    assert s.cmd("UID COPY 3,1 INBOX.Trash") == (
        [], b"OK [COPYUID %d 1,3 4:5] Copy completed." % v)
    assert s.cmd("UID COPY 10:20 INBOX.Trash") == (
        [], b"OK No messages found.")
    assert len(cur(site, ".Trash")) == 5
    assert len(cur(site)) == 3
    # Into the selected folder: EXISTS before the tagged OK.
    lines, tagged = s.cmd("COPY 1 INBOX")
    assert lines == [b"* 4 EXISTS", b"* 0 RECENT"]
    v0, _ = uidlist(site)
    assert tagged == b"OK [COPYUID %d 1 4] Copy completed." % v0
    s.close()


def test_copy_trycreate(site):
    put(site, SIMPLE)
    s = Session(site)
    s.cmd("SELECT INBOX")
    for cmd in ("COPY 1 INBOX.nope", "UID COPY 1 INBOX.nope",
                "MOVE 1 INBOX.nope", "UID MOVE 1 INBOX.nope"):
        assert s.cmd(cmd) == ([], b"NO [TRYCREATE] Mailbox doesn't exist")
    assert s.cmd("CREATE INBOX.nope")[1] == b"OK CREATE completed"
    assert s.cmd("COPY 1 INBOX.nope")[1].startswith(b"OK [COPYUID ")
    assert len(cur(site)) == 1
    s.close()


def test_move(site):
    bases = [None] + [put(site, SIMPLE + b"m%d\n" % i) for i in range(4)]
    make_folder(site, ".Archive")
    s = Session(site)
    s.cmd("SELECT INBOX")
    lines, tagged = s.cmd("MOVE 1,3:4 INBOX.Archive")
    v, duids = uidlist(site, ".Archive")
    assert lines == [b"* OK [COPYUID %d 1,3:4 1:3] Moved UIDs." % v,
                     b"* 4 EXPUNGE", b"* 3 EXPUNGE", b"* 1 EXPUNGE"]
    assert tagged == b"OK Move completed."
    check_copyuid(site, lines[0], "", bases, ".Archive")
    assert [n.split(":2,")[0] for n in cur(site)] == [bases[2]]
    assert len(cur(site, ".Archive")) == 3
    # The moved message keeps its octets: by its content.
    by_uid = {u: b for b, u in duids.items()}
    with open(os.path.join(folder(site, ".Archive"), "cur",
                           by_uid[2] + ":2,"), "rb") as f:
        assert f.read() == SIMPLE + b"m2\n"
    assert s.cmd("UID MOVE 2 INBOX.Archive") == (
        [b"* OK [COPYUID %d 2 4] Moved UIDs." % v, b"* 1 EXPUNGE"],
        b"OK Move completed.")
    assert cur(site) == []
    assert s.cmd("UID MOVE 1:* INBOX.Archive") == (
        [], b"OK No messages found.")
    s.close()


def test_copyuid_against_uid_lists(site):
    """Non-contiguous sources, a destination with messages already."""
    make_folder(site, ".Sent")
    bases = [None] + [put(site, SIMPLE + b"%d\n" % i) for i in range(8)]
    s = Session(site)
    s.cmd("SELECT INBOX")
    s.cmd("COPY 8 INBOX.Sent")
    _, tagged = s.cmd("UID COPY 2,4:6,8 INBOX.Sent")
    src, dst = check_copyuid(site, tagged, "", bases, ".Sent")
    assert src == [2, 4, 5, 6, 8]
    assert dst == [2, 3, 4, 5, 6]
    _, duids = uidlist(site, ".Sent")
    by_uid = {u: b for b, u in duids.items()}
    for su, du in zip(src, dst):
        name = by_uid[du]
        with open(os.path.join(folder(site, ".Sent"), "cur", name + ":2,"),
                  "rb") as f:
            assert f.read() == SIMPLE + b"%d\n" % (su - 1)
    s.close()


# --- APPEND ----------------------------------------------------------------

def test_append_flags_date(site):
    s = Session(site)                     # authenticated state
    msg = b"Subject: appended\r\n\r\nbody\r\n"
    lines, tagged = append(s, '"INBOX" (\\Seen $Work) '
                           '"05-Jan-2023 11:12:13 +0100"', msg)
    v, uids = uidlist(site)
    assert lines == []
    assert tagged == b"OK [APPENDUID %d 1] Append completed." % v
    (base,) = uids
    assert uids[base] == 1
    name = base + ":2," + info(site, base)
    assert info(site, base) == "S"
    path = os.path.join(folder(site), "cur", name)
    assert int(os.stat(path).st_mtime) == calendar.timegm(
        (2023, 1, 5, 10, 12, 13))
    with open(path, "rb") as f:
        assert f.read() == msg
    assert keywords(site)[1] == {base: ["$Work"]}
    # A day written " 5", a negative zone, a synchronizing literal.
    lines, tagged = append(s, 'INBOX " 5-Jan-2023 11:12:13 -0230"',
                           msg, sync=True)
    assert tagged == b"OK [APPENDUID %d 2] Append completed." % v
    base2 = [b for b, u in uidlist(site)[1].items() if u == 2][0]
    assert int(os.stat(os.path.join(folder(site), "cur", base2 + ":2,"))
               .st_mtime) == calendar.timegm((2023, 1, 5, 13, 42, 13))
    # FETCH INTERNALDATE and RFC822.SIZE agree.
    s.cmd("SELECT INBOX")
    lines, _ = s.cmd("FETCH 1 (FLAGS RFC822.SIZE)")
    assert lines == [b"* 1 FETCH (FLAGS (\\Seen $Work) RFC822.SIZE %d)"
                     % len(msg)]
    s.close()


def test_append_selected_exists(site):
    put(site, SIMPLE)
    make_folder(site, ".Drafts")
    s = Session(site)
    s.cmd("SELECT INBOX")
    lines, tagged = append(s, "INBOX (\\Draft)", b"Subject: x\r\n\r\ny\r\n")
    assert lines == [b"* 2 EXISTS", b"* 0 RECENT"]
    assert tagged.startswith(b"OK [APPENDUID ") and b" 2] " in tagged
    assert s.cmd("FETCH 2 FLAGS")[0] == [b"* 2 FETCH (FLAGS (\\Draft))"]
    # Another folder: nothing to tell about INBOX.
    lines, tagged = append(s, "INBOX.Drafts ()", b"x\r\n")
    v, _ = uidlist(site, ".Drafts")
    assert (lines, tagged) == ([], b"OK [APPENDUID %d 1] Append "
                                   b"completed." % v)
    assert append(s, "INBOX.nope", b"x\r\n") == (
        [], b"NO [TRYCREATE] Mailbox doesn't exist")
    assert append(s, "INBOX", b"") == (
        [], b"NO Can't save a zero byte message.")
    s.close()


def test_append_imaplib(site):
    c = site.login()
    caps = c.capability()[1][0].split()
    assert b"UIDPLUS" in caps and b"MOVE" in caps
    t = calendar.timegm((2024, 2, 29, 23, 59, 58))
    typ, data = c.append("INBOX", "(\\Flagged)",
                         imaplib.Time2Internaldate(t),
                         b"Subject: lib\r\n\r\nhello\r\n")
    assert typ == "OK"
    assert re.match(rb"\[APPENDUID \d+ 1\]", data[0])
    c.select("INBOX")
    typ, data = c.fetch("1", "(FLAGS INTERNALDATE)")
    assert b"\\Flagged" in data[0]
    assert calendar.timegm(time.strptime(
        re.search(rb'"(.*)"', data[0]).group(1).decode()[:20],
        "%d-%b-%Y %H:%M:%S")) - t in range(-14 * 3600, 14 * 3600 + 1)
    assert c.store("1", "+FLAGS", "(\\Deleted)")[0] == "OK"
    typ, data = c.expunge()
    assert typ == "OK" and data == [b"1"]
    c.logout()


# --- two sessions ----------------------------------------------------------

def test_second_session_sees_changes(site):
    for _ in range(3):
        put(site, SIMPLE)
    s1, s2 = Session(site), Session(site)
    s1.cmd("SELECT INBOX")
    s2.cmd("SELECT INBOX")
    s1.cmd("STORE 1 +FLAGS (\\Seen $Work)")
    assert s2.cmd("NOOP") == ([
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)",
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
        b"\\Draft $Work \\*)] Flags permitted.",
        b"* 1 FETCH (FLAGS (\\Seen $Work))"], b"OK NOOP completed")
    s1.cmd("STORE 2 +FLAGS.SILENT \\Deleted")
    s1.cmd("EXPUNGE")
    assert s2.cmd("NOOP") == ([b"* 2 EXPUNGE"], b"OK NOOP completed")
    append(s1, "INBOX", b"Subject: more\r\n\r\nx\r\n")
    s1.cmd("MOVE 1 INBOX")                # new UID in the same folder
    lines, _ = s2.cmd("NOOP")
    assert lines == [b"* 1 EXPUNGE", b"* 3 EXISTS", b"* 0 RECENT"]
    assert s2.cmd("FETCH 1:* (UID FLAGS)")[0] == [
        b"* 1 FETCH (UID 3 FLAGS ())", b"* 2 FETCH (UID 4 FLAGS ())",
        b"* 3 FETCH (UID 5 FLAGS (\\Seen $Work))"]
    s1.close()
    s2.close()


# --- bad input -------------------------------------------------------------

@pytest.mark.parametrize("command,reply", [
    ("STORE 1 FLAGS", b"BAD STORE takes a sequence set, a data item and "
     b"flags"),
    ("STORE 1 BOGUS (\\Seen)", b"BAD STORE: the data item is FLAGS, "
     b"+FLAGS or -FLAGS, with or without .SILENT"),
    ("STORE 1 +FLAGS.LOUD (\\Seen)", b"BAD STORE: the data item is FLAGS, "
     b"+FLAGS or -FLAGS, with or without .SILENT"),
    ("STORE 1 (FLAGS) \\Seen", b"BAD STORE: the data item is FLAGS, "
     b"+FLAGS or -FLAGS, with or without .SILENT"),
    ("STORE 1 +FLAGS (\\Recent)", b"BAD \\Recent cannot be stored"),
    ("STORE 1 +FLAGS \\Seen \\Recent", b"BAD \\Recent cannot be stored"),
    ("STORE 1 +FLAGS (\\Bogus)", b"BAD invalid flag \\Bogus"),
    ("STORE 1 +FLAGS ((\\Seen))", b"BAD invalid flag name"),
    ('STORE 1 +FLAGS ("quoted")', b"BAD invalid flag name"),
    ("STORE 1 +FLAGS (\\Seen) (\\Draft)", b"BAD STORE: one list of flags"),
    ("STORE 3 +FLAGS \\Seen", b"BAD invalid message sequence number"),
    ("STORE x +FLAGS \\Seen", b"BAD invalid sequence set"),
    ("UID STORE 1", b"BAD UID STORE takes a sequence set, a data item and "
     b"flags"),
    ("EXPUNGE 1", b"BAD EXPUNGE takes no argument"),
    ("UID EXPUNGE", b"BAD UID EXPUNGE takes a UID set"),
    ("UID EXPUNGE 1 2", b"BAD UID EXPUNGE takes a UID set"),
    ("UID EXPUNGE 0", b"BAD invalid sequence set"),
    ("COPY 1", b"BAD COPY takes a sequence set and a mailbox name"),
    ("COPY 1 (a)", b"BAD COPY: the mailbox name is not an astring"),
    ("COPY 3 INBOX", b"BAD invalid message sequence number"),
    ("COPY 1 Trash", b'NO [CANNOT] COPY: name outside the personal '
     b'namespace "INBOX."'),
    ('COPY 1 "INBOX.a/b"', b'NO [CANNOT] COPY: "/" in a mailbox name'),
    ("UID MOVE 1", b"BAD UID MOVE takes a sequence set and a mailbox name"),
    ("MOVE 1:x INBOX", b"BAD invalid sequence set"),
    ("APPEND INBOX", b"BAD APPEND takes a mailbox, optional flags and "
     b"date-time, and a message literal"),
    ("APPEND INBOX hello", b"BAD APPEND: the message must be a literal"),
    ("APPEND INBOX (\\Seen) {1+}\r\nx", None),
])
def test_bad_input(site, command, reply):
    put(site, SIMPLE)
    put(site, SIMPLE)
    s = Session(site)
    s.cmd("SELECT INBOX")
    if reply is None:                     # a good one, as a control
        assert s.cmd(command)[1].startswith(b"OK [APPENDUID ")
    else:
        assert s.cmd(command) == ([], reply)
    assert s.cmd("FETCH 2 UID")[0][-1] == b"* 2 FETCH (UID 2)"
    assert len(cur(site)) == 2 + (reply is None)
    s.close()


@pytest.mark.parametrize("args,reply", [
    ('INBOX "5-Jan-2023 11:12:13 +0100"', b"BAD APPEND: invalid date-time"),
    ('INBOX "05-Foo-2023 11:12:13 +0100"', b"BAD APPEND: invalid date-time"),
    ('INBOX "05-Jan-2023 25:12:13 +0100"', b"BAD APPEND: invalid date-time"),
    ('INBOX "05-Jan-2023 11:12:13 0100"', b"BAD APPEND: invalid date-time"),
    ("INBOX 05-Jan-2023", b"BAD APPEND: invalid date-time"),
    ('INBOX "05-Jan-2023 11:12:13 +0100" (\\Seen)',
     b"BAD APPEND: invalid date-time"),
    ("INBOX (\\Seen) (\\Seen)", b"BAD APPEND: invalid date-time"),
    ("INBOX (\\Recent)", b"BAD APPEND: invalid flag list"),
    ("INBOX (\\Bogus)", b"BAD APPEND: invalid flag list"),
    ("INBOX ((x))", b"BAD APPEND: invalid flag list"),
    ("(a) ()", b"BAD APPEND: the mailbox name is not an astring"),
    ("INBOX.. ()", b"NO [CANNOT] APPEND: mailbox name starts "
     b"with the separator"),
])
def test_append_bad_input(site, args, reply):
    s = Session(site)
    assert append(s, args, b"Subject: x\r\n\r\ny\r\n") == ([], reply)
    assert files(site) == []
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    s.close()


def test_append_nul_refused(site):
    """A message with a NUL octet (literals are CHAR8) is refused whole,
    synchronizing or not: nothing lands, not even in tmp/, and the
    session goes on."""
    s = Session(site)
    msg = b"Subject: x\r\n\r\nbody\0more\r\n"
    for sync in (False, True):
        assert append(s, "INBOX", msg, sync) == (
            [], b"NO APPEND: the message holds a NUL octet")
    assert files(site) == []
    assert os.listdir(os.path.join(site.maildir(), "tmp")) == []
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    s.close()


def test_not_in_authenticated_state(site):
    s = Session(site)
    for cmd in ("STORE 1 +FLAGS \\Seen", "EXPUNGE", "COPY 1 INBOX",
                "MOVE 1 INBOX", "UID STORE 1 +FLAGS \\Seen"):
        verb = cmd.split()[0]
        assert s.cmd(cmd) == ([], b"BAD %s is not valid in this state" %
                              verb.encode()), cmd
    s.close()


def test_logged(site):
    s = Session(site)
    append(s, "INBOX", b"x\r\n")
    s.close()
    buzontest.wait_for(lambda: "event=append folder=INBOX uid=1 "
                              "size=3" in site.log())


def test_append_limit(workdir, cert):
    """max_append: a {n} over it is refused before it is read, a {n+}
    over it closes the connection; up to it is stored."""
    site = Site(workdir, cert, conf="max_append 1024\n")
    with site:
        s = Session(site)
        lines, tagged = append(s, "INBOX", b"x" * 1022 + b"\r\n")
        assert tagged.startswith(b"OK [APPENDUID ")
        s.n += 1
        s.r.send(b"big APPEND INBOX {1025}\r\n")
        assert s.r.line().startswith(b"big NO [TOOBIG] ")
        assert s.cmd("NOOP") == ([], b"OK NOOP completed")
        s.r.send(b"bigger APPEND INBOX {1025+}\r\n")
        assert s.r.line().startswith(b"* BYE ")
        assert len(cur(site)) == 1
