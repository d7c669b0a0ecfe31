"""imapsd's selected state: SELECT and EXAMINE answers exactly, CLOSE,
UNSELECT and CHECK, FETCH of every item on the MIME fixtures of
regress/lib/mime (their Dovecot answers compared), sections and
partials, PEEK against \\Seen on disk, UID FETCH ranges, the cache, and
the untagged updates: another process's expunge and a delivery reported
at NOOP, never during FETCH.  Bad input each with its reply."""

import glob
import imaplib
import os
import re
import threading
import time

import pytest

import buzontest
from imapfix import USERS

MIME = os.path.join(buzontest.ROOT, "regress", "lib", "mime")

SIMPLE = (b"From: Ana <ana@example.com>\nTo: bob@example.com\n"
          b"Subject: hello\nDate: Tue, 3 Jan 2023 11:12:13 +0100\n\n"
          b"line one\nline two\n")

FLAGS = b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)"
PERM = (b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
        b"\\Draft \\*)] Flags permitted.")


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def fixture(name):
    with open(os.path.join(MIME, name), "rb") as f:
        return f.read()


def expected(name):
    """The four answers of Dovecot in <name>.expected, by item."""
    text = fixture(name)
    parts = re.split(rb"\n(?=(?:ENVELOPE|BODY|BODYSTRUCTURE) )",
                     text.rstrip(b"\n"))
    return dict(p.split(b" ", 1) for p in parts)


def put(site, data, info="", sub="cur", mtime=None):
    name = site.put(data, sub=sub, info=(":2," + info))
    if mtime is not None:
        path = os.path.join(site.maildir(), sub,
                            name + (":2," + info if sub == "cur" else ""))
        os.utime(path, (mtime, mtime))
    return name


def files(site, sub="cur"):
    return sorted(os.listdir(os.path.join(site.maildir(), sub)))


def make_folder(site, dirname):
    d = os.path.join(site.maildir(), dirname)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub))
    open(os.path.join(d, "maildirfolder"), "w").close()
    if buzontest.IS_ROOT:
        uid = USERS["ana"][1]
        for root, dirs, fs in os.walk(d):
            os.chown(root, uid, uid)
            for f in fs:
                os.chown(os.path.join(root, f), uid, uid)


def response_line(r):
    """One response line of LineClient r with the literals it announces
    joined in."""
    line = r.line()
    while True:
        m = re.search(rb"\{(\d+)\}$", line)
        if not m:
            return line
        line += b"\r\n" + r.octets(int(m.group(1))) + r.line()


class Session:
    """A raw client that reads whole responses, literals included."""

    def __init__(self, site, user="ana"):
        self.r = site.raw(tls=True)
        assert self.r.line().startswith(b"* OK ")
        self.n = 0
        _, tagged = self.cmd("LOGIN %s %s" % (user, USERS[user][0]))
        assert tagged.startswith(b"OK "), tagged

    def response_line(self):
        return response_line(self.r)

    def tag(self):
        self.n += 1
        return b"t%d" % self.n

    def tagged(self, tag):
        """(untagged lines, tagged answer) up to tag's answer."""
        lines = []
        while True:
            line = self.response_line()
            if line.startswith(tag + b" "):
                return lines, line[len(tag) + 1:]
            assert line.startswith(b"* "), line
            lines.append(line)

    def cmd(self, text):
        """(untagged lines, tagged line) of one command."""
        tag = self.tag()
        self.r.send(tag + b" " + text.encode() + b"\r\n")
        return self.tagged(tag)

    def close(self):
        self.cmd("LOGOUT")
        self.r.close()


def uidvalidity(lines):
    for line in lines:
        m = re.match(rb"\* OK \[UIDVALIDITY (\d+)\] UIDs valid$", line)
        if m:
            return int(m.group(1))
    raise AssertionError(lines)


# --- SELECT, EXAMINE, CLOSE, UNSELECT, CHECK -------------------------------

def test_select_examine_exact(site):
    put(site, SIMPLE, "S")
    time.sleep(0.01)
    put(site, SIMPLE, sub="new")
    s = Session(site)
    lines, tagged = s.cmd("SELECT INBOX")
    v = uidvalidity(lines)
    assert lines == [FLAGS, PERM, b"* 2 EXISTS", b"* 1 RECENT",
                     b"* OK [UNSEEN 2] First unseen.",
                     b"* OK [UIDVALIDITY %d] UIDs valid" % v,
                     b"* OK [UIDNEXT 3] Predicted next UID"]
    assert tagged == b"OK [READ-WRITE] SELECT completed"
    assert files(site, "new") == []
    lines, tagged = s.cmd("FETCH 1:* (UID FLAGS)")
    assert lines == [b"* 1 FETCH (UID 1 FLAGS (\\Seen))",
                     b"* 2 FETCH (UID 2 FLAGS (\\Recent))"]
    # EXAMINE while selected: the old one closed first, read-only now.
    lines, tagged = s.cmd("EXAMINE inbox")
    assert lines == [b"* OK [CLOSED] Previous mailbox closed.", FLAGS,
                     b"* OK [PERMANENTFLAGS ()] Read-only mailbox.",
                     b"* 2 EXISTS", b"* 0 RECENT",
                     b"* OK [UNSEEN 2] First unseen.",
                     b"* OK [UIDVALIDITY %d] UIDs valid" % v,
                     b"* OK [UIDNEXT 3] Predicted next UID"]
    assert tagged == b"OK [READ-ONLY] EXAMINE completed"
    s.close()


def test_select_names(site):
    make_folder(site, ".Sent")
    make_folder(site, ".&AOk-t&AOk-")      # "été" in modified UTF-7
    s = Session(site)
    _, tagged = s.cmd("SELECT INBOX.Sent")
    assert tagged == b"OK [READ-WRITE] SELECT completed"
    lines, tagged = s.cmd('EXAMINE "INBOX.&AOk-t&AOk-"')
    assert b"* 0 EXISTS" in lines
    assert tagged == b"OK [READ-ONLY] EXAMINE completed"
    closed = [b"* OK [CLOSED] Previous mailbox closed."]
    for name in ("INBOX.nope", "Sent", "INBOX.INBOX", "INBOX..Sent",
                 '"INBOX.a/b"', "INBOX.&AOk"):
        lines, tagged = s.cmd("SELECT " + name)
        assert tagged == b"NO [NONEXISTENT] Mailbox doesn't exist", name
        # A failed SELECT leaves nothing selected (RFC 3501 6.3.1).
        assert lines == closed, name
        closed = []
    assert s.cmd("FETCH 1 FLAGS")[1] == \
        b"BAD FETCH is not valid in this state"
    assert s.cmd("SELECT")[1] == b"BAD SELECT takes one mailbox name"
    assert s.cmd("SELECT (a)")[1] == b"BAD invalid mailbox name"
    s.close()


def test_close_unselect_check(site):
    keep = put(site, SIMPLE)
    gone = put(site, SIMPLE, "T")
    s = Session(site)
    assert s.cmd("CLOSE")[1] == b"BAD CLOSE is not valid in this state"
    s.cmd("EXAMINE INBOX")
    assert s.cmd("CLOSE") == ([], b"OK CLOSE completed")
    assert len(files(site)) == 2          # read-only: nothing expunged
    s.cmd("SELECT INBOX")
    assert s.cmd("CHECK") == ([], b"OK CHECK completed")
    assert s.cmd("UNSELECT") == ([], b"OK UNSELECT completed")
    assert len(files(site)) == 2
    assert s.cmd("UNSELECT")[1] == \
        b"BAD UNSELECT is not valid in this state"
    s.cmd("SELECT INBOX")
    assert s.cmd("CLOSE x")[1] == b"BAD CLOSE takes no argument"
    assert s.cmd("CLOSE") == ([], b"OK CLOSE completed")   # silently
    left = files(site)
    assert len(left) == 1 and left[0].startswith(keep)
    assert not any(f.startswith(gone) for f in left)
    s.close()


def test_capability_unselect(site):
    c = site.login()
    assert b"UNSELECT" in c.capability()[1][0].split()
    c.logout()


# --- FETCH ---------------------------------------------------------------

CASES = sorted(os.path.basename(p)[:-4]
               for p in glob.glob(os.path.join(MIME, "*.eml")))


def test_fetch_structure_like_dovecot(site):
    """Each fixture's RFC822.SIZE, ENVELOPE, BODY and BODYSTRUCTURE as
    Dovecot gave them; a second session gets them from the cache."""
    for case in CASES:
        put(site, fixture(case + ".eml"))
    s = Session(site)
    s.cmd("SELECT INBOX")
    items = "(RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE)"
    lines, tagged = s.cmd("FETCH 1:* " + items)
    assert tagged == b"OK FETCH completed"
    assert len(lines) == len(CASES)
    for i, case in enumerate(CASES):
        e = expected(case + ".expected")
        want = b"* %d FETCH (RFC822.SIZE %s ENVELOPE %s BODY %s " \
            b"BODYSTRUCTURE %s)" % (i + 1, e[b"RFC822.SIZE"],
                                    e[b"ENVELOPE"], e[b"BODY"],
                                    e[b"BODYSTRUCTURE"])
        assert lines[i] == want, case
    s.close()
    cache = os.path.join(site.maildir(), "buzon-cache")
    buzontest.wait_for(lambda: os.path.exists(cache), 10, "buzon-cache")
    # Message files never change: a cached envelope is used as it is, so
    # rewriting a file shows whether the second FETCH parsed it again.
    first = os.path.join(site.maildir(), "cur", files(site)[0])
    with open(first, "wb") as f:
        f.write(b"Subject: changed\n\nx\n")
    s = Session(site)
    s.cmd("SELECT INBOX")
    lines, tagged = s.cmd("FETCH 1 (ENVELOPE BODYSTRUCTURE)")
    e = expected(CASES[0] + ".expected")
    assert lines == [b"* 1 FETCH (ENVELOPE %s BODYSTRUCTURE %s)" %
                     (e[b"ENVELOPE"], e[b"BODYSTRUCTURE"])]
    s.close()


def test_fetch_items_simple(site):
    mtime = 1700000000
    put(site, SIMPLE, "F", mtime=mtime)
    c = site.login()
    c.select("INBOX")
    typ, data = c.fetch("1", "(UID FLAGS INTERNALDATE RFC822.SIZE)")
    assert typ == "OK"
    line = data[0]
    assert line.startswith(b"1 (UID 1 FLAGS (\\Flagged) INTERNALDATE \"")
    assert b"RFC822.SIZE %d)" % len(crlf(SIMPLE)) in line
    assert time.mktime(imaplib.Internaldate2tuple(line)) == mtime
    assert re.search(rb'INTERNALDATE "\d\d-[A-Z][a-z]{2}-\d{4} '
                     rb'\d\d:\d\d:\d\d [-+]\d{4}"', line)
    # Macros.
    typ, data = c.fetch("1", "FAST")
    assert re.match(rb'1 \(FLAGS \(\\Flagged\) INTERNALDATE "[^"]+" '
                    rb'RFC822.SIZE \d+\)$', data[0])
    typ, data = c.fetch("1", "ALL")
    assert b" ENVELOPE (\"Tue, 3 Jan 2023 11:12:13 +0100\" \"hello\" " \
        b"((\"Ana\" NIL \"ana\" \"example.com\"))" in data[0]
    typ, data = c.fetch("1", "FULL")
    assert data[0].endswith(b' BODY ("text" "plain" ("charset" '
                            b'"us-ascii") NIL NIL "7bit" 20 2))')
    # RFC822, RFC822.HEADER, RFC822.TEXT in the CR LF form.
    head, text = crlf(SIMPLE).split(b"\r\n\r\n", 1)
    typ, data = c.fetch("1", "(RFC822.HEADER)")
    assert data[0] == (b"1 (RFC822.HEADER {%d}" % (len(head) + 4),
                       head + b"\r\n\r\n")
    typ, data = c.fetch("1", "(RFC822)")
    assert data[0] == (b"1 (RFC822 {%d}" % len(crlf(SIMPLE)), crlf(SIMPLE))
    assert data[1] == b" FLAGS (\\Flagged \\Seen))"
    typ, data = c.fetch("1", "(RFC822.TEXT)")
    assert data[0] == (b"1 (RFC822.TEXT {%d}" % len(text), text)
    assert data[1] == b")"
    c.logout()


def test_fetch_sections_and_partials(site):
    data = fixture("mixed.eml")
    whole = crlf(data)
    head, text = whole.split(b"\r\n\r\n", 1)
    put(site, data)
    c = site.login()
    c.select("INBOX")

    def one(item):
        typ, d = c.fetch("1", item)
        assert typ == "OK", d
        return d[0]

    assert one("(BODY.PEEK[])") == (b"1 (BODY[] {%d}" % len(whole), whole)
    assert one("(BODY.PEEK[]<5.10>)") == (b"1 (BODY[]<5> {10}",
                                          whole[5:15])
    assert one("(BODY.PEEK[]<%d.100>)" % (len(whole) - 3)) == (
        b"1 (BODY[]<%d> {3}" % (len(whole) - 3), whole[-3:])
    assert one("(BODY.PEEK[]<%d.10>)" % len(whole)) == \
        b'1 (BODY[]<%d> "")' % len(whole)
    assert one("(BODY.PEEK[HEADER])")[1] == head + b"\r\n\r\n"
    assert one("(BODY.PEEK[TEXT])")[1] == text
    assert one("(BODY.PEEK[1.1])") == (b"1 (BODY[1.1] {23}",
                                       b"Gr=FC=DFe aus M=FCnchen")
    assert one("(BODY.PEEK[1.2])")[1] == b"<b>hi</b>"
    assert one("(BODY.PEEK[3])") == (b"1 (BODY[3] {12}", b"iVBORw0KGgo=")
    mime = one("(BODY.PEEK[2.MIME])")
    assert mime[0].startswith(b"1 (BODY[2.MIME] {")
    assert mime[1].startswith(b"Content-Type: application/pdf; ")
    assert mime[1].endswith(b"Content-Location: http://example.com/"
                            b"doc.pdf\r\n\r\n")
    want = b"From: ana@example.com\r\nSubject: nested\r\n\r\n"
    assert one("(BODY.PEEK[HEADER.FIELDS (Subject FROM)])") == (
        b"1 (BODY[HEADER.FIELDS (Subject FROM)] {%d}" % len(want), want)
    fields = one("(BODY.PEEK[HEADER.FIELDS.NOT (Subject From To Date "
                 "MIME-Version Content-Language)]<0.13>)")
    assert fields == (b"1 (BODY[HEADER.FIELDS.NOT (Subject From To Date "
                      b"MIME-Version Content-Language)]<0> {13}",
                      b"Content-Type:")
    # A part that does not exist: an empty string, as Dovecot answers.
    assert one("(BODY.PEEK[9])") == b'1 (BODY[9] "")'
    assert one("(BODY.PEEK[1.1.5.TEXT])") == b'1 (BODY[1.1.5.TEXT] "")'
    # Nothing of that set \Seen.
    assert files(site)[0].endswith(":2,")
    c.logout()


# --- large literals: streamed from the mapping --------------------------------

CHUNK = 64 << 10        # imapsd/imap_fetch.c: FETCH_CHUNK
FLUSH = 256 << 10       # imapsd/imap_fetch.c: FETCH_FLUSH
BIG_SLACK = 16 << 20    # anonymous memory a FETCH of a big message may add


def read_answer(s, tag):
    """(untagged lines, tagged answer) of a command sent by hand, literals
    inline, read in linear time whatever their size."""
    lines = []
    while True:
        tail = s.r.line()
        line = bytearray(tail)
        while True:
            m = re.search(rb"\{(\d+)\}$", tail)
            if not m:
                break
            got = s.r.octets(int(m.group(1)))
            tail = s.r.line()
            line += b"\r\n" + got + tail
        if line.startswith(tag + b" "):
            return lines, bytes(line[len(tag) + 1:])
        assert line.startswith(b"* "), line[:80]
        lines.append(bytes(line))


def big_message(size):
    """About size octets of lines of varied length ending in LF, CR LF and
    once a bare CR inside, no line end at the very end; with the view
    positions of the CRs the CR LF view adds and of some it keeps."""
    head = b"Subject: big\n\n"
    out, added, kept = [head], [len(head) - 2, len(head)], []
    pos, i = len(head) + 2, 0
    while pos < size:
        body = b"%07d " % i + b"x" * (i * 7 % 101)
        if i == 5000:
            body = b"bare\rcr"
        end = b"\r\n" if i % 3 == 0 else b"\n"
        (kept if i % 3 == 0 else added).append(pos + len(body))
        out.append(body + end)
        pos += len(body) + 2
        i += 1
    out.append(b"no final line end")
    return b"".join(out), added, kept


def test_fetch_partials_across_chunks(site):
    """<partial> windows of a 2 MB message whose chunks (FETCH_CHUNK
    octets from the origin) end or start between a CR LF, added or kept,
    several in one FETCH with other items between them, and the line
    end added after the last line; every one the same octets as the CR
    LF view."""
    data, added, kept = big_message(2 << 20)
    view = crlf(data) + b"\r\n"
    head = len(b"Subject: big\r\n\r\n")
    put(site, data)
    a = next(x for x in added if x > FLUSH + CHUNK)
    k = next(x for x in kept if x > FLUSH + CHUNK)
    assert view[a:a + 2] == view[k:k + 2] == b"\r\n"
    total = len(view)
    wins = [(a - CHUNK + 1, 3 * CHUNK + 5),     # added CR ends chunk 1
            (a - CHUNK, 3 * CHUNK + 5),         # ... starts chunk 2
            (a + 1, FLUSH + CHUNK + 1),         # origin on its LF
            (a - FLUSH + 1, FLUSH),             # ends on that CR
            (k - CHUNK + 1, 2 * CHUNK),         # a kept CR ends chunk 1
            (k + 1, CHUNK + 1),
            (0, total),
            (total - 3, 100),                   # the added line end
            (total - 1, 100)]
    items = []
    want = b"* 1 FETCH (UID 1"
    for i, (o, n) in enumerate(wins):
        items.append("BODY.PEEK[]<%d.%d>" % (o, n))
        want += b" BODY[]<%d> {%d}\r\n" % (o, len(view[o:o + n]))
        want += view[o:o + n]
        if i == 2:
            items.append("RFC822.SIZE")
            want += b" RFC822.SIZE %d" % total
    o = a - head - CHUNK + 1                    # the same CR in TEXT
    items.append("BODY.PEEK[TEXT]<%d.%d>" % (o, 2 * CHUNK))
    want += b" BODY[TEXT]<%d> {%d}\r\n" % (o, 2 * CHUNK)
    want += view[head + o:head + o + 2 * CHUNK] + b")"
    s = Session(site)
    s.cmd("SELECT INBOX")
    s.r.send(b"p1 FETCH 1 (UID %s)\r\n" % " ".join(items).encode())
    lines, tag = read_answer(s, b"p1")
    assert tag == b"OK FETCH completed"
    assert len(lines) == 1 and lines[0] == want
    # The end of the last window on the added CR: cut before its LF.
    s.r.send(b"p2 FETCH 1 (BODY.PEEK[]<%d.%d>)\r\n" % (total - 2, 1))
    assert read_answer(s, b"p2") == (
        [b"* 1 FETCH (BODY[]<%d> {1}\r\n\r)" % (total - 2)],
        b"OK FETCH completed")
    s.close()


def test_fetch_nul_sent_as_0x80(site):
    """RFC 3501 literals are CHAR8: a NUL of the message goes out as 0x80
    (as Dovecot sends it) in every literal, so RFC822.SIZE and the
    literal's length still agree."""
    data = (b"From: ana@example.com\nSubject: nul\x00here\n\n"
            b"body\x00one\nand\x00\x00two")
    view = (crlf(data) + b"\r\n").replace(b"\x00", b"\x80")
    put(site, data)
    s = Session(site)
    s.cmd("SELECT INBOX")
    lines, tag = s.cmd("FETCH 1 (RFC822.SIZE BODY.PEEK[] BODY.PEEK"
                       "[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<4.6>)")
    assert tag == b"OK FETCH completed"
    assert lines == [b"* 1 FETCH (RFC822.SIZE %d BODY[] {%d}\r\n%s "
                     b"BODY[HEADER.FIELDS (SUBJECT)] {21}\r\n"
                     b"Subject: nul\x80here\r\n\r\n "
                     b"BODY[TEXT]<4> {6}\r\n\x80one\r\n)" %
                     (len(view), len(view), view)]
    assert b"\x00" not in lines[0]
    s.close()


def test_fetch_while_the_file_goes(site):
    """A big BODY[] goes on whole when another process removes the file
    while it is being sent (the mapping stays); NOOP then reports the
    expunge."""
    data, _, _ = big_message(16 << 20)
    view = crlf(data) + b"\r\n"
    name = put(site, data)
    s = Session(site)
    s.cmd("SELECT INBOX")
    s.r.send(b"u1 FETCH 1 (BODY.PEEK[])\r\n")
    first = s.r.line()
    assert first == b"* 1 FETCH (BODY[] {%d}" % len(view)
    os.unlink(os.path.join(site.maildir(), "cur", name + ":2,"))
    got = bytearray(s.r.buf)
    s.r.buf = b""
    while len(got) < len(view):
        chunk = s.r.s.recv(1 << 20)
        assert chunk, "connection closed in the literal"
        got += chunk
    s.r.buf = bytes(got[len(view):])
    assert got[:len(view)] == view
    assert s.r.line() == b")"
    assert s.r.line() == b"u1 OK FETCH completed"
    assert s.cmd("NOOP") == ([b"* 1 EXPUNGE"], b"OK NOOP completed")
    s.close()


def session_pid(site):
    """ana's session process: the one holding a file open in her
    Maildir."""
    md = os.path.realpath(site.maildir())
    todo = [site.pid]
    while todo:
        for pid in buzontest.children(todo.pop()):
            todo.append(pid)
            try:
                links = [os.readlink("/proc/%d/fd/%s" % (pid, fd))
                         for fd in os.listdir("/proc/%d/fd" % pid)]
            except (FileNotFoundError, ProcessLookupError):
                continue
            if any(x.startswith(md + "/") for x in links):
                return pid
    raise AssertionError("no session process")


def rss_anon(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon")


def test_fetch_big_body_bounded_memory(site):
    """RFC822 and BODY[TEXT] of a 32 MB message in one FETCH: right, and
    the session's anonymous memory does not grow with the message (the
    literals are streamed from the mapping, not built)."""
    data, _, _ = big_message(32 << 20)
    view = crlf(data) + b"\r\n"
    text = view[len(b"Subject: big\r\n\r\n"):-2]
    put(site, data)
    s = Session(site)
    s.cmd("SELECT INBOX")
    pid = session_pid(site)
    base = peak = rss_anon(pid)
    s.r.send(b"m1 FETCH 1 (RFC822 BODY.PEEK[TEXT])\r\n")
    done = []

    def sample():
        nonlocal peak
        while not done:
            peak = max(peak, rss_anon(pid))
            time.sleep(0.002)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        lines, tag = read_answer(s, b"m1")
    finally:
        done.append(1)
        t.join()
    assert tag == b"OK FETCH completed"
    assert lines == [b"* 1 FETCH (RFC822 {%d}\r\n%s BODY[TEXT] {%d}\r\n%s "
                     b"FLAGS (\\Seen))" % (len(view), view, len(text),
                                          text)]
    assert peak - base < BIG_SLACK, "%d MB" % ((peak - base) >> 20)
    s.close()


def test_peek_and_seen_on_disk(site):
    put(site, SIMPLE)
    put(site, SIMPLE)
    c = site.login()
    c.select("INBOX", readonly=True)
    typ, data = c.fetch("1", "(BODY[TEXT])")
    assert data[1] == b")"                      # read-only: no \Seen
    assert all(f.endswith(":2,") for f in files(site))
    c.select("INBOX")
    typ, data = c.fetch("1", "(BODY.PEEK[TEXT] RFC822.HEADER)")
    assert data[-1] == b")"
    assert all(f.endswith(":2,") for f in files(site))
    typ, data = c.fetch("1", "(BODY[TEXT])")
    assert data[1] == b" FLAGS (\\Seen))"
    names = files(site)
    assert sum(f.endswith(":2,S") for f in names) == 1
    typ, data = c.fetch("1", "(FLAGS BODY[TEXT])")
    assert data[0][0] == b"1 (FLAGS (\\Seen) BODY[TEXT] {20}"
    assert data[1] == b")"
    typ, data = c.fetch("2", "(BODY[1]<0.4> FLAGS)")
    assert data[0] == (b"2 (BODY[1]<0> {4}", b"line")
    assert data[1] == b" FLAGS (\\Seen))"
    assert all(f.endswith(":2,S") for f in files(site))
    c.logout()


def test_seen_reported_once(site):
    """\\Seen set by FETCH is in its answer, not again at NOOP."""
    put(site, SIMPLE)
    s = Session(site)
    s.cmd("SELECT INBOX")
    assert s.cmd("UID FETCH 1 (BODY[1])") == (
        [b"* 1 FETCH (UID 1 BODY[1] {20}\r\nline one\r\nline two\r\n "
         b"FLAGS (\\Seen))"], b"OK UID FETCH completed")
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    assert s.cmd("FETCH 1 (BODY[1]<0.4>)") == (
        [b"* 1 FETCH (BODY[1]<0> {4}\r\nline)"], b"OK FETCH completed")
    s.close()


def test_uid_fetch(site):
    names = [put(site, SIMPLE) for _ in range(4)]
    s = Session(site)
    s.cmd("SELECT INBOX")
    s.cmd("LOGOUT")
    os.unlink(os.path.join(site.maildir(), "cur", names[1] + ":2,"))
    s = Session(site)
    lines, _ = s.cmd("SELECT INBOX")
    assert b"* 3 EXISTS" in lines
    assert s.cmd("UID FETCH 1:* FLAGS") == (
        [b"* 1 FETCH (UID 1 FLAGS ())", b"* 2 FETCH (UID 3 FLAGS ())",
         b"* 3 FETCH (UID 4 FLAGS ())"], b"OK UID FETCH completed")
    assert s.cmd("UID FETCH 2 FLAGS") == ([], b"OK UID FETCH completed")
    assert s.cmd("UID FETCH * (UID)")[0] == [b"* 3 FETCH (UID 4)"]
    assert s.cmd("UID FETCH 9:* UID")[0] == [b"* 3 FETCH (UID 4)"]
    assert s.cmd("UID FETCH 4,1,2:3 RFC822.SIZE")[0] == [
        b"* 1 FETCH (UID 1 RFC822.SIZE %d)" % len(crlf(SIMPLE)),
        b"* 2 FETCH (UID 3 RFC822.SIZE %d)" % len(crlf(SIMPLE)),
        b"* 3 FETCH (UID 4 RFC822.SIZE %d)" % len(crlf(SIMPLE))]
    assert s.cmd("FETCH 2:* UID")[0] == [b"* 2 FETCH (UID 3)",
                                         b"* 3 FETCH (UID 4)"]
    assert s.cmd("FETCH *:2 (FLAGS UID)")[0] == [
        b"* 2 FETCH (FLAGS () UID 3)", b"* 3 FETCH (FLAGS () UID 4)"]
    s.close()


# --- untagged updates ------------------------------------------------------

def test_expunge_by_another_process(site):
    names = [put(site, SIMPLE) for _ in range(3)]
    s = Session(site)
    s.cmd("SELECT INBOX")
    assert s.cmd("FETCH 2 (UID)") == ([b"* 2 FETCH (UID 2)"],
                                     b"OK FETCH completed")
    os.unlink(os.path.join(site.maildir(), "cur", names[1] + ":2,"))
    # Flags only: no file read; the expunge waits for NOOP.
    lines, tagged = s.cmd("FETCH 1:* (UID FLAGS)")
    assert not any(b"EXPUNGE" in x for x in lines)
    assert lines[0] == b"* 1 FETCH (UID 1 FLAGS ())"
    assert lines[-1] == b"* 3 FETCH (UID 3 FLAGS ())"
    # The body of the gone message: left out, never EXPUNGE here.
    lines, tagged = s.cmd("FETCH 1:3 (BODY.PEEK[TEXT])")
    assert [x[:17] for x in lines] == [b"* 1 FETCH (BODY[T",
                                       b"* 3 FETCH (BODY[T"]
    assert tagged == (b"NO [EXPUNGEISSUED] Some of the requested "
                      b"messages no longer exist")
    assert s.cmd("NOOP") == ([b"* 2 EXPUNGE"], b"OK NOOP completed")
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    assert s.cmd("FETCH 1:* UID")[0] == [b"* 1 FETCH (UID 1)",
                                         b"* 2 FETCH (UID 3)"]
    s.close()


def test_expunge_unseen_until_noop(site):
    """A gone message whose file FETCH reads is still numbered until
    NOOP; CHECK reports too."""
    names = [put(site, SIMPLE) for _ in range(3)]
    s = Session(site)
    s.cmd("SELECT INBOX")
    for n in names[:2]:
        os.unlink(os.path.join(site.maildir(), "cur", n + ":2,"))
    lines, tagged = s.cmd("FETCH 2:3 (RFC822.SIZE)")
    assert lines == [b"* 3 FETCH (RFC822.SIZE %d)" % len(crlf(SIMPLE))]
    assert tagged.startswith(b"NO [EXPUNGEISSUED]")
    assert s.cmd("CHECK") == ([b"* 2 EXPUNGE", b"* 1 EXPUNGE"],
                              b"OK CHECK completed")


def test_delivery_reported_at_noop(site):
    put(site, SIMPLE, "S")
    s = Session(site)
    s.cmd("SELECT INBOX")
    site.deliver(b"Subject: new\n\nhi\n")
    lines, tagged = s.cmd("NOOP")
    assert lines == [b"* 2 EXISTS", b"* 1 RECENT"]
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    assert s.cmd("FETCH 2 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])") \
        == ([b"* 2 FETCH (FLAGS (\\Recent) BODY[HEADER.FIELDS (SUBJECT)] "
             b"{16}\r\nSubject: new\r\n\r\n)"], b"OK FETCH completed")
    # During FETCH a delivery is EXISTS too, never an EXPUNGE.
    site.deliver(b"Subject: newer\n\nhi\n")
    lines, tagged = s.cmd("FETCH 1 UID")
    assert lines == [b"* 1 FETCH (UID 1)", b"* 3 EXISTS", b"* 2 RECENT"]
    s.close()


def test_flag_change_by_another_session(site):
    name = put(site, SIMPLE)
    s = Session(site)
    s.cmd("SELECT INBOX")
    path = os.path.join(site.maildir(), "cur", name)
    os.rename(path + ":2,", path + ":2,FS")
    assert s.cmd("NOOP") == ([b"* 1 FETCH (FLAGS (\\Flagged \\Seen))"],
                             b"OK NOOP completed")
    s.close()


def test_keyword_added_by_another_session(site):
    name = put(site, SIMPLE)
    s = Session(site)
    lines, _ = s.cmd("SELECT INBOX")
    assert lines[0] == FLAGS
    kw = os.path.join(site.maildir(), "buzon-keywords")
    with open(kw, "w") as f:
        f.write("buzon-keywords 1\nK $Junk\nM %s 0\n" % name)
    if buzontest.IS_ROOT:
        os.chown(kw, USERS["ana"][1], USERS["ana"][1])
    assert s.cmd("NOOP") == ([
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)",
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
        b"\\Draft $Junk \\*)] Flags permitted.",
        b"* 1 FETCH (FLAGS ($Junk))"], b"OK NOOP completed")
    s.close()


def test_uidvalidity_change_ends_session(site):
    put(site, SIMPLE)
    s = Session(site)
    lines, _ = s.cmd("SELECT INBOX")
    v = uidvalidity(lines)
    md = site.maildir()
    path = os.path.join(md, "buzon-uidlist")
    with open(path) as f:
        text = f.read()
    first, rest = text.split("\n", 1)
    with open(path, "w") as f:
        f.write(first.replace(" %d " % v, " %d " % (v + 1)) + "\n" + rest)
    os.utime(os.path.join(md, "cur"), (time.time() + 5, time.time() + 5))
    lines, tagged = s.cmd("NOOP")
    assert lines == [b"* BYE the mailbox's UIDVALIDITY changed; select it "
                     b"again"]
    assert s.r.closed()
    assert "result=uidvalidity" in site.log()


# --- bad input -------------------------------------------------------------

@pytest.mark.parametrize("command,reply", [
    ("FETCH 0 FLAGS", b"BAD invalid sequence set"),
    ("FETCH 1:x FLAGS", b"BAD invalid sequence set"),
    ("FETCH (1) FLAGS", b"BAD invalid sequence set"),
    ("FETCH 3 FLAGS", b"BAD invalid message sequence number"),
    ("FETCH 1,3:* FLAGS", b"BAD invalid message sequence number"),
    ("FETCH 1 BOGUS", b"BAD unknown FETCH data item"),
    ("FETCH 1 (FLAGS BOGUS)", b"BAD unknown FETCH data item"),
    ("FETCH 1 (ALL)", b"BAD unknown FETCH data item"),
    ("FETCH 1 BODY.PEEK", b"BAD unknown FETCH data item"),
    ("FETCH 1 ()", b"BAD empty FETCH data item list"),
    ("FETCH 1", b"BAD FETCH takes a sequence set and data items"),
    ("FETCH 1 FLAGS UID", b"BAD FETCH takes a sequence set and data items"),
    ("UID FETCH 1", b"BAD UID FETCH takes a sequence set and data items"),
    ("UID", b"BAD UID needs a command"),
    ("UID BOGUS 1", b"BAD unknown UID command"),
    ("CHECK now", b"BAD CHECK takes no argument"),
    ("UNSELECT x", b"BAD UNSELECT takes no argument"),
])
def test_bad_input(site, command, reply):
    put(site, SIMPLE)
    put(site, SIMPLE)
    s = Session(site)
    s.cmd("SELECT INBOX")
    assert s.cmd(command) == ([], reply)
    # The session goes on.
    assert s.cmd("FETCH 2 UID") == ([b"* 2 FETCH (UID 2)"],
                                    b"OK FETCH completed")
    s.close()


def test_fetch_empty_mailbox(site):
    s = Session(site)
    s.cmd("SELECT INBOX")
    assert s.cmd("FETCH 1:* FLAGS")[1] == \
        b"BAD invalid message sequence number"
    assert s.cmd("UID FETCH 1:* FLAGS") == ([], b"OK UID FETCH completed")
    s.close()
