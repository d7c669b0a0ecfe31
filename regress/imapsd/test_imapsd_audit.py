"""An audit of imapsd against issue #4, where the other test files left
gaps: untagged updates (no EXPUNGE during FETCH, STORE, SEARCH or their
UID forms; one noticed but kept back is told at the next NOOP, also
after a pause, and at once in IDLE; pop3sd's DELE as a third writer),
STATUS of the selected folder, response codes, every named limit with
its exact reply and the session surviving where the issue says so,
pipelined garbage, NUL and bare CR/LF, bad mailbox names through every
command with the whole tree on disk compared, 10,000 nested MIME parts
and a 100 MB header through the daemon at bounded memory, and the
manual pages against the code."""

import base64
import os
import re
import socket
import threading
import time

import pytest

import buzontest
from imapfix import Site
from test_imapsd_fetch import FLAGS, PERM, SIMPLE, Session, make_folder, put

import pop3fix  # noqa: E402  (imapfix puts regress/pop3sd on the path)

MAN5 = os.path.join(buzontest.ROOT, "imapsd", "imapsd.conf.5")
MAN8 = os.path.join(buzontest.ROOT, "imapsd", "imapsd.8")
SAMPLE = os.path.join(buzontest.ROOT, "conf", "imapsd.conf")

# lib/imapcmd.h, imapsd/imap_search.c, imapsd/store.h, lib/mime.h
DEPTH_MAX = 32
RANGES_MAX = 10000
ARGS_MAX = 4096
LITERALS_MAX = 64
SEARCH_KEYS_MAX = 256
FOLDER_LEVELS_MAX = 16
MIME_DEPTH = 100

WAKE = 2.0              # seconds the issue allows an IDLE to wake up
MEMORY_SLACK = 64 << 20  # octets of anonymous memory a big message may add


# --- helpers -------------------------------------------------------------

def tagged(s, tag):
    """(untagged lines, tagged answer) for a command sent by hand."""
    lines = []
    while True:
        line = s.response_line()
        assert line != b"", "connection closed; so far %r" % lines
        if line.startswith(tag + b" "):
            return lines, line[len(tag) + 1:]
        lines.append(line)


def expunges(lines):
    return [x for x in lines if re.fullmatch(rb"\* \d+ EXPUNGE", x)]


def uids(s):
    lines, tag = s.cmd("FETCH 1:* (UID)")
    assert tag == b"OK FETCH completed", tag
    return [int(re.search(rb"UID (\d+)", x).group(1)) for x in lines]


def cur_path(site, name, info=""):
    return os.path.join(site.maildir(), "cur", name + ":2," + info)


def wire(name):
    """A mailbox name as a quoted string, or a literal when it cannot be
    one (8-bit, control octets, quotes)."""
    raw = name if isinstance(name, bytes) else name.encode()
    if all(0x20 <= b < 0x7f and b not in b'"\\' for b in raw):
        return b'"' + raw + b'"'
    return b"{%d+}\r\n" % len(raw) + raw


def tree(top):
    """Every path below top, as relative names."""
    out = set()
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            out.add(os.path.relpath(os.path.join(root, n), top))
    return out


def session_pid(site, user="ana"):
    """The session process of user: the one holding a slot lock in the
    user's Maildir (see imap_session.c: user_slot)."""
    md = os.path.realpath(site.maildir(user))
    todo = [site.pid]
    while todo:
        for pid in buzontest.children(todo.pop()):
            todo.append(pid)
            try:
                fds = os.listdir("/proc/%d/fd" % pid)
                links = [os.readlink("/proc/%d/fd/%s" % (pid, fd))
                         for fd in fds]
            except (FileNotFoundError, ProcessLookupError):
                continue
            if any(x.startswith(md + "/buzon-imap.") for x in links):
                return pid
    raise AssertionError("no session process for %s" % user)


def rss_anon(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon for %d" % pid)


class PeakAnon(threading.Thread):
    """The highest anonymous RSS of a process while it runs: file pages
    a mapping brings in are the page cache's, not the session's."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.base = rss_anon(pid)
        self.peak = self.base
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, rss_anon(self.pid))
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(0.002)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.join()

    def growth(self):
        return self.peak - self.base


def read_big(s, tag):
    """The lines of a FETCH whose literals may be large, literal data as
    its length only (response_line() would keep it whole)."""
    out = []
    while True:
        line = s.r.line()
        assert line != b"", "connection closed"
        while True:
            m = re.search(rb"\{(\d+)\}$", line)
            if not m:
                break
            got = s.r.octets(int(m.group(1)))
            line += b"\r\n<%d octets>" % len(got) + s.r.line()
        if line.startswith(tag + b" "):
            return out, line[len(tag) + 1:]
        out.append(line)


class Pop3Beside(pop3fix.Site):
    """pop3sd on the imapsd site's authd and Maildirs: a third writer."""

    def __init__(self, site):
        self.dir = site.dir
        self.cert = site.cert
        self.extra = ""
        self.plaintext = site.plaintext
        self.homes = site.homes
        self.authd = site.authd
        self.pop3 = buzontest.free_port()
        self.pop3s = buzontest.free_port()
        self.conf = os.path.join(site.dir, "pop3sd.conf")
        self.logpath = os.path.join(site.dir, "pop3sd.log")

    def start(self):
        self.write_conf()
        return self.spawn(
            [buzontest.binary("pop3sd"), "-d", "-v", "-f", self.conf],
            lambda: "event=start" in self.log())

    def stop(self):
        return self.stop_daemon()


# --- untagged updates ----------------------------------------------------

@pytest.mark.parametrize("command,answer", [
    ("FETCH 1:* (UID FLAGS)", b"OK FETCH completed"),
    ("FETCH 1:* (BODY.PEEK[TEXT])", b"NO [EXPUNGEISSUED] "),
    ("STORE 1 +FLAGS (\\Flagged)", b"OK STORE completed"),
    ("SEARCH ALL", b"OK SEARCH completed"),
    # RFC 3501 6.4.8 lets the UID forms send EXPUNGE; imapsd does not
    # (imap_fetch.c, imap_store.c, imap_search.c pass NOEXPUNGE).
    ("UID FETCH 1:* (FLAGS)", b"OK UID FETCH completed"),
    ("UID STORE 1 +FLAGS (\\Flagged)", b"OK UID STORE completed"),
    ("UID SEARCH ALL", b"OK UID SEARCH completed"),
])
def test_no_expunge_while_answering(site, command, answer):
    """RFC 3501 7.4.1: no EXPUNGE while answering FETCH, STORE or
    SEARCH; another session's expunge is told at the next NOOP."""
    for _ in range(3):
        put(site, SIMPLE)
    a, b = Session(site), Session(site)
    a.cmd("SELECT INBOX")
    b.cmd("SELECT INBOX")
    b.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)")
    assert b.cmd("EXPUNGE") == ([b"* 2 EXPUNGE"], b"OK EXPUNGE completed")
    lines, tag = a.cmd(command)
    assert expunges(lines) == [], lines
    assert tag.startswith(answer), tag
    assert a.cmd("NOOP") == ([b"* 2 EXPUNGE"], b"OK NOOP completed")
    assert uids(a) == [1, 3]
    a.close()
    b.close()


@pytest.mark.parametrize("command", ["FETCH 1:* (UID FLAGS)",
                                     "STORE 3 +FLAGS.SILENT (\\Seen)",
                                     "UID SEARCH ALL"])
def test_expunge_told_after_a_pause(site, command):
    """A message the session saw go during FETCH, STORE or SEARCH is
    kept numbered until the next command that may expunge: NOOP must
    tell it even when the folder has not changed for a while since
    (more than the store's 2-second mtime slack)."""
    names = [put(site, SIMPLE) for _ in range(3)]
    s = Session(site)
    s.cmd("SELECT INBOX")
    os.unlink(cur_path(site, names[1]))
    lines, tag = s.cmd(command)
    assert expunges(lines) == [] and tag.startswith(b"OK"), (lines, tag)
    time.sleep(3.5)
    assert s.cmd("NOOP") == ([b"* 2 EXPUNGE"], b"OK NOOP completed")
    assert uids(s) == [1, 3]
    s.close()


def test_idle_tells_what_fetch_kept_back(site):
    """RFC 2177: IDLE is where a client waits for updates; an expunge
    the session noticed during FETCH (and had to keep back) is told
    within 2 seconds of the IDLE, without any further change."""
    names = [put(site, SIMPLE) for _ in range(3)]
    s = Session(site)
    s.cmd("SELECT INBOX")
    os.unlink(cur_path(site, names[1]))
    lines, tag = s.cmd("FETCH 1:* (UID FLAGS)")
    assert expunges(lines) == [] and tag == b"OK FETCH completed"
    start = time.monotonic()
    s.r.send(b"i1 IDLE\r\n")
    assert s.r.line() == b"+ idling"
    s.r.s.settimeout(WAKE + 3)
    try:
        line = s.r.line()
    except socket.timeout:
        line = b"(nothing)"
    took = time.monotonic() - start
    assert line == b"* 2 EXPUNGE" and took < WAKE, (line, took)
    s.r.send(b"DONE\r\n")
    assert tagged(s, b"i1") == ([], b"OK IDLE terminated")
    s.close()


def test_pop3_dele_seen_at_next_command(site):
    """pop3sd's DELE (at QUIT) is a third writer: told at the next NOOP,
    never during FETCH, and within 2 seconds in IDLE."""
    for i in range(4):
        put(site, SIMPLE + b"%d\n" % i)
    with Pop3Beside(site) as pop:
        s = Session(site)
        s.cmd("SELECT INBOX")
        c = pop.login()
        assert c.stat()[0] == 4
        c.dele(2)
        c.quit()
        lines, tag = s.cmd("FETCH 1:* (UID)")
        assert expunges(lines) == [] and tag == b"OK FETCH completed"
        assert s.cmd("NOOP") == ([b"* 2 EXPUNGE"], b"OK NOOP completed")
        assert uids(s) == [1, 3, 4]
        # In IDLE.
        s.r.send(b"i1 IDLE\r\n")
        assert s.r.line() == b"+ idling"
        time.sleep(0.3)
        c = pop.login()
        c.dele(1)
        start = time.monotonic()
        c.quit()
        s.r.s.settimeout(WAKE + 3)
        assert s.r.line() == b"* 1 EXPUNGE"
        took = time.monotonic() - start
        assert took < WAKE, took
        s.r.send(b"DONE\r\n")
        assert tagged(s, b"i1") == ([], b"OK IDLE terminated")
        assert uids(s) == [3, 4]
        s.close()


def test_status_of_the_selected_folder(site):
    """RFC 3501 6.3.10 and imapsd(8): STATUS of the selected mailbox
    answers what this session sees; the others see the disk."""
    put(site, SIMPLE, "S")
    put(site, SIMPLE)
    a = Session(site)
    a.cmd("SELECT INBOX")
    items = "(MESSAGES RECENT UIDNEXT UNSEEN)"
    assert a.cmd("STATUS INBOX " + items) == (
        [b'* STATUS "INBOX" (MESSAGES 2 RECENT 0 UIDNEXT 3 UNSEEN 1)'],
        b"OK STATUS completed")
    site.deliver(b"Subject: new\n\nhi\n")
    # Not told yet: STATUS is not a way to look for new mail.
    assert a.cmd("STATUS inbox " + items) == (
        [b'* STATUS "INBOX" (MESSAGES 2 RECENT 0 UIDNEXT 3 UNSEEN 1)'],
        b"OK STATUS completed")
    assert a.cmd("NOOP") == ([b"* 3 EXISTS", b"* 1 RECENT"],
                             b"OK NOOP completed")
    assert a.cmd("STATUS INBOX " + items) == (
        [b'* STATUS "INBOX" (MESSAGES 3 RECENT 1 UIDNEXT 4 UNSEEN 2)'],
        b"OK STATUS completed")
    # Another session: the \Recent is a's.
    b = Session(site)
    assert b.cmd("STATUS INBOX " + items) == (
        [b'* STATUS "INBOX" (MESSAGES 3 RECENT 0 UIDNEXT 4 UNSEEN 2)'],
        b"OK STATUS completed")
    lines, _ = b.cmd("SELECT INBOX")
    assert b"* 0 RECENT" in lines
    a.close()
    b.close()


# --- response codes ------------------------------------------------------

def test_select_codes_without_unseen(site):
    """[UNSEEN] only when a message is unseen; an empty folder has
    UIDNEXT 1; EXAMINE is [READ-ONLY] with empty PERMANENTFLAGS."""
    put(site, SIMPLE, "S")
    put(site, SIMPLE, "RS")
    make_folder(site, ".Empty")
    s = Session(site)
    lines, tag = s.cmd("SELECT INBOX")
    assert len(lines) == 6, lines
    assert lines[:4] == [FLAGS, PERM, b"* 2 EXISTS", b"* 0 RECENT"]
    assert re.fullmatch(rb"\* OK \[UIDVALIDITY \d+\] UIDs valid", lines[4])
    assert lines[5] == b"* OK [UIDNEXT 3] Predicted next UID"
    assert tag == b"OK [READ-WRITE] SELECT completed"
    lines, tag = s.cmd("EXAMINE INBOX.Empty")
    assert lines[:5] == [b"* OK [CLOSED] Previous mailbox closed.", FLAGS,
                         b"* OK [PERMANENTFLAGS ()] Read-only mailbox.",
                         b"* 0 EXISTS", b"* 0 RECENT"]
    assert re.fullmatch(rb"\* OK \[UIDVALIDITY \d+\] UIDs valid", lines[5])
    assert lines[6:] == [b"* OK [UIDNEXT 1] Predicted next UID"]
    assert tag == b"OK [READ-ONLY] EXAMINE completed"
    s.close()


def test_trycreate_for_a_noselect_parent(site):
    """A \\Noselect parent can be created (CREATE makes it a folder):
    COPY, MOVE and APPEND into it answer TRYCREATE and make nothing."""
    put(site, SIMPLE)
    make_folder(site, ".p.q")
    s = Session(site)
    s.cmd("SELECT INBOX")
    for cmd in ("COPY 1 INBOX.p", "UID MOVE 1 INBOX.p"):
        assert s.cmd(cmd) == ([], b"NO [TRYCREATE] Mailbox doesn't exist")
    s.r.send(b"a1 APPEND INBOX.p {3+}\r\nx\r\n\r\n")
    assert tagged(s, b"a1") == ([], b"NO [TRYCREATE] Mailbox doesn't exist")
    assert not os.path.exists(os.path.join(site.maildir(), ".p"))
    assert s.cmd("CREATE INBOX.p") == ([], b"OK CREATE completed")
    assert s.cmd("COPY 1 INBOX.p")[1].startswith(b"OK [COPYUID ")
    s.close()


def test_capabilities_are_the_documented_ones(site):
    """imapsd(8) names every capability announced after login, and each
    one its "the capabilities add ..." sentences promise is announced."""
    s = Session(site)
    lines, _ = s.cmd("CAPABILITY")
    caps = set(lines[0].decode().split()[2:])
    with open(MAN8) as f:
        text = " ".join(f.read().split())
    assert {c for c in caps if not re.search(
        r"(?<![\w-])%s(?![\w-])" % re.escape(c), text)} == set()
    promised = set()
    for m in re.finditer(r"the capabilities add ([A-Z][A-Z0-9 ,+=-]*?"
                         r"(?: and [A-Z][A-Z0-9+=-]*)?)\.", text):
        promised |= set(re.split(r",? and |, ", m.group(1)))
    assert {"UNSELECT", "IDLE", "ENABLE", "UIDPLUS", "MOVE"} <= promised
    assert promised <= caps, promised - caps
    s.close()


# --- limits --------------------------------------------------------------

def test_command_line_limit(workdir, cert):
    """max_line counts the command text with its CR LF, over all its
    lines and without literal data; over it: BYE and the end."""
    with Site(workdir, cert, conf="max_line 1024\n") as site:
        s = Session(site)
        head, tail = b't1 ID ("name" "', b'")\r\n'
        fill = b"x" * (1024 - len(head) - len(tail))
        s.r.send(head + fill + tail)
        assert tagged(s, b"t1")[1] == b"OK ID completed"
        s.r.send(b't2 ID ("name" "' + fill + b'x' + tail)
        assert s.r.line() == b"* BYE command text over 1024 octets"
        assert s.r.closed()
        # Two lines of 600 octets around a literal: 1200 in all.
        s = Session(site)
        s.r.send(b't3 ID ("' + b"k" * 590 + b'" {5+}\r\nhello "' +
                 b"v" * 590 + b'" NIL)\r\n')
        assert s.r.line() == b"* BYE command text over 1024 octets"
        assert s.r.closed()
        site.wait_log("result=protocol-error", count=2)


def test_literal_limits_after_login(site):
    """max_literal (64K) for every command but APPEND, counted over the
    command's literals: a {n} over it is refused before it is read and
    the session goes on, a {n+} ends it; APPEND has max_append."""
    s = Session(site)
    s.r.send(b"a1 CREATE {65537}\r\n")
    assert s.r.line() == (b"a1 NO [TOOBIG] literal over the limit of "
                          b"65536 octets")
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    # At the limit: read, and answered by the command.
    s.r.send(b"a2 CREATE {65536}\r\n")
    assert s.r.line() == b"+ Ready for literal data"
    s.r.send(b"x" * 65536 + b"\r\n")
    assert tagged(s, b"a2")[1].startswith(b"NO [CANNOT] ")
    # Two literals of one command: the second goes over.
    s.r.send(b"a3 STATUS {40000}\r\n")
    assert s.r.line() == b"+ Ready for literal data"
    s.r.send(b"x" * 40000 + b" {30000}\r\n")
    assert s.r.line() == (b"a3 NO [TOOBIG] literal over the limit of "
                          b"65536 octets")
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    # APPEND is allowed far more.
    msg = b"Subject: big\r\n\r\n" + b"y" * 100000 + b"\r\n"
    s.r.send(b"a4 APPEND INBOX {%d}\r\n" % len(msg))
    assert s.r.line() == b"+ Ready for literal data"
    s.r.send(msg + b"\r\n")
    assert tagged(s, b"a4")[1].startswith(b"OK [APPENDUID ")
    # LITERAL+ over the limit: the data is on its way, the end.
    s.r.send(b"a5 CREATE {65537+}\r\n")
    assert s.r.line() == (b"* BYE literal over the limit of 65536 "
                          b"octets")
    assert s.r.closed()
    site.wait_log("event=logout user=ana result=protocol-error")


def test_nesting_limit(site):
    put(site, SIMPLE)
    s = Session(site)
    s.cmd("SELECT INBOX")
    deep = "(" * DEPTH_MAX + "ALL" + ")" * DEPTH_MAX
    assert s.cmd("SEARCH " + deep) == ([b"* SEARCH 1"],
                                       b"OK SEARCH completed")
    assert s.cmd("SEARCH (" + deep + ")") == (
        [], b"BAD parentheses nested over %d deep" % DEPTH_MAX)
    assert s.cmd("ID " + "(" * 40 + ")" * 40) == (
        [], b"BAD parentheses nested over %d deep" % DEPTH_MAX)
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    s.close()


@pytest.mark.parametrize("template,answer", [
    ("FETCH %s (UID)", [b"* 1 FETCH (UID 1)"]),
    ("UID FETCH %s (FLAGS)", [b"* 1 FETCH (UID 1 FLAGS ())"]),
    ("STORE %s +FLAGS.SILENT (\\Flagged)", []),
    ("UID STORE %s -FLAGS.SILENT (\\Flagged)", []),
    ("COPY %s INBOX.Copy", None),
    ("SEARCH %s", [b"* SEARCH 1"]),
    ("UID SEARCH UID %s", [b"* SEARCH 1"]),
])
def test_sequence_range_limit(site, template, answer):
    """One named limit of ranges in a sequence set (10000, lib/imapcmd):
    at it every command answers, over it BAD, and the session goes on."""
    put(site, SIMPLE)
    make_folder(site, ".Copy")
    s = Session(site)
    s.cmd("SELECT INBOX")
    lines, tag = s.cmd(template % ",".join(["1"] * RANGES_MAX))
    assert tag.startswith(b"OK "), tag
    if answer is not None:
        assert lines == answer
    lines, tag = s.cmd(template % ",".join(["1"] * (RANGES_MAX + 1)))
    assert lines == [] and tag.startswith(b"BAD "), tag
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    s.close()


def test_search_program_limit(site):
    """imapsd(8): "at most 256 keys"; the 257th is BAD."""
    put(site, SIMPLE)
    s = Session(site)
    s.cmd("SELECT INBOX")
    assert s.cmd("SEARCH " + " ".join(["ALL"] * (SEARCH_KEYS_MAX + 1))) == (
        [], b"BAD search program too large")
    assert s.cmd("SEARCH " + " ".join(["ALL"] * SEARCH_KEYS_MAX)) == (
        [b"* SEARCH 1"], b"OK SEARCH completed")
    s.close()


def test_argument_and_literal_count_limits(site):
    s = Session(site)
    assert s.cmd("NOOP" + " x" * ARGS_MAX) == (
        [], b"BAD NOOP takes no argument")
    assert s.cmd("NOOP" + " x" * (ARGS_MAX + 1)) == (
        [], b"BAD more than %d arguments" % ARGS_MAX)
    # 65 literals, LITERAL+: refused, the rest skipped, the session goes on.
    s.r.send(b"l1 ID (" + b" ".join([b"{1+}\r\nx"] * (LITERALS_MAX + 1)) +
             b")\r\nl2 NOOP\r\n")
    assert s.r.line() == b"l1 BAD more than %d literals" % LITERALS_MAX
    assert s.r.line() == b"l2 OK NOOP completed"
    s.close()


def test_connections_per_address(workdir, cert):
    """max_sessions_per_addr: over it a plaintext client hears BYE
    [UNAVAILABLE], a TLS one is closed; a slot comes free at LOGOUT."""
    with Site(workdir, cert, conf="max_sessions_per_addr 2\n") as site:
        a = site.login()
        b = site.raw(tls=False)
        assert b.line().startswith(b"* OK ")
        r = site.raw(tls=False)
        assert r.line() == (b"* BYE [UNAVAILABLE] too many connections, "
                            b"try again later")
        assert r.closed()
        t = socket.create_connection(("127.0.0.1", site.imaps), timeout=10)
        try:
            assert t.recv(100) == b""       # closed, not a TLS hello
        except ConnectionResetError:
            pass
        t.close()
        site.wait_log("event=refused addr=127.0.0.1 "
                      "reason=max_sessions_per_addr", count=2)
        a.logout()

        def greets():
            r = site.raw(tls=False)
            ok = r.line().startswith(b"* OK ")
            r.close()
            return ok
        buzontest.wait_for(greets, 10, "a free slot")
        b.close()


def test_connections_in_all(workdir, cert):
    with Site(workdir, cert, conf="max_sessions 1\n") as site:
        a = site.login()
        r = site.raw(tls=False)
        assert r.line().startswith(b"* BYE [UNAVAILABLE] ")
        assert r.closed()
        site.wait_log("reason=max_sessions")
        a.logout()


def test_timeouts_before_and_after_login(workdir, cert):
    """login_timeout before login, the longer timeout after it: between
    commands, in a literal, never while the client keeps talking."""
    conf = "login_timeout 2s\ntimeout 5s\n"
    with Site(workdir, cert, conf=conf) as site:
        r = site.raw()
        r.line()
        t0 = time.monotonic()
        assert r.line() == b"* BYE autologout; idle for too long"
        assert 1.5 < time.monotonic() - t0 < 4.5
        s = Session(site)
        s.cmd("SELECT INBOX")
        t0 = time.monotonic()
        s.r.s.settimeout(15)
        assert s.r.line() == b"* BYE autologout; idle for too long"
        assert 4.5 < time.monotonic() - t0 < 10
        assert s.r.closed()
        site.wait_log("event=logout user=ana result=timeout")
        # Talking keeps it: 8 seconds of NOOPs.
        s = Session(site)
        for _ in range(4):
            time.sleep(2)
            assert s.cmd("NOOP") == ([], b"OK NOOP completed")
        # A literal left half sent.
        s.r.send(b"x CREATE {10}\r\n")
        assert s.r.line() == b"+ Ready for literal data"
        s.r.send(b"INBOX")
        t0 = time.monotonic()
        s.r.s.settimeout(15)
        assert s.r.line() == b"* BYE autologout; idle for too long"
        assert 4.5 < time.monotonic() - t0 < 10
        site.wait_log("event=logout user=ana result=timeout", count=2)


def test_too_many_errors_after_login(workdir, cert):
    with Site(workdir, cert, conf="max_errors 3\n") as site:
        s = Session(site)
        s.r.send(b"a FROB\r\nb NOOP x\r\nc FETCH 1 FLAGS\r\nd NOOP\r\n")
        assert s.r.line() == b"a BAD unknown command"
        assert s.r.line() == b"b BAD NOOP takes no argument"
        assert s.r.line() == b"c BAD FETCH is not valid in this state"
        assert s.r.line() == b"* BYE too many bad commands"
        assert s.r.closed()
        site.wait_log("event=logout user=ana result=errors")


@pytest.mark.parametrize("after_login", [False, True])
def test_pipelined_garbage(site, after_login):
    """Garbage pipelined between good commands: each bad line its BAD,
    the good ones answered in order, literals of a bad command skipped
    (a {n+} one's data is not taken for a command)."""
    if after_login:
        s = Session(site)
        r = s.r
    else:
        r = site.raw()
        assert r.line().startswith(b"* OK ")
    r.send(b"a NOOP\r\n\r\n)))\r\n* FOO\r\nb FROB\r\n\xff\xfe junk\r\n"
           b"c NOOP ) {4+}\r\nd OK\r\ne NOOP\r\nf NOOP ) {4}\r\n"
           b"g NOOP\r\n")
    assert [r.line() for _ in range(9)] == [
        b"a OK NOOP completed",
        b"* BAD empty command line",
        b"* BAD missing or invalid tag",
        b"* BAD missing or invalid tag",
        b"b BAD unknown command",
        b"* BAD missing or invalid tag",
        b"c BAD unbalanced parenthesis",
        b"e OK NOOP completed",
        b"f BAD unbalanced parenthesis"]
    assert r.line() == b"g OK NOOP completed"
    r.send(b"h NOOP\r\n")
    assert r.line() == b"h OK NOOP completed"


def test_nul_cr_lf_in_commands(site):
    """NUL and bare CR make a line BAD, a bare LF ends it as CR LF does;
    NUL in a literal of any command but APPEND is BAD; nothing of it
    reaches the disk and the session goes on."""
    s = Session(site)
    before = tree(site.maildir())
    for line, answer in (
            (b"a NOOP\0\r\n", b"a BAD NUL in command line"),
            (b"b NO\rOP\r\n", b"b BAD bare CR in command line"),
            (b"c NOOP\r\r\n", b"c BAD bare CR in command line"),
            (b"d NOOP\n", b"d OK NOOP completed"),
            (b'e CREATE "INBOX.a\rb"\r\n', b"e BAD bare CR in command line"),
            (b"f CREATE INBOX.a\0b\r\n", b"f BAD NUL in command line"),
            (b"g CREATE {9+}\r\nINBOX.a\0b\r\n", b"g BAD NUL in literal"),
            (b'h CREATE "INBOX.a\nb"\r\n',
             b"h BAD unterminated quoted string")):
        s.r.send(line)
        assert s.r.line() == answer, line
    assert s.r.line() == b"* BAD invalid character in tag"   # b"\r\n
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    assert tree(site.maildir()) == before
    s.close()


# --- mailbox names never reaching the disk -------------------------------

def mutf7(text):
    """Non-ASCII text as one modified UTF-7 run."""
    b = base64.b64encode(text.encode("utf-16-be")).decode()
    return "&" + b.rstrip("=").replace("/", ",") + "-"


def bad_names(prefix):
    """Names no folder may have, under the namespace prefix."""
    p = prefix
    names = [
        "", ".", "..", "...", ".hidden", "/", "../x", "../../etc",
        "/tmp/x", "~/x", p + ".hidden", p + "a..b", p + "...",
        p + "a/b", p + "../x", p + "../../x", p + "./x", p + "a/../b",
        p + "&Jjo", p + "&AGE-", p + "&AC8-x", p + "&AC4-x", p + "&AC4AL-",
        p + "&AOk-&AOk-", p + "&2D3-", p + "&AAE-", p + "&AB8-",
        p + "&AH8-", p + "&AIA-", p + "&AJ8-", p + "&AAo-",
        p + "x" * 200, p + "x" * 5000,
        p + ".".join(["l"] * (FOLDER_LEVELS_MAX + 1)),
        p + mutf7("\u00e9" * 150),
        p.encode() + b"a\x01b", p.encode() + b"a\x1fb",
        p.encode() + b"a\x7fb", p.encode() + b"\xc3\xa9t\xc3\xa9",
        p.encode() + b"a\tb", p.encode() + b"\xff",
    ]
    if prefix:
        names += ["Sent", "INBOX.INBOX", "INBOX.inbox.x", "INBOX/x"]
    else:
        names += ["INBOX.x", "inbox.x"]
    return names


@pytest.mark.parametrize("namespace", ["courier", "dovecot"])
def test_bad_names_never_reach_the_disk(workdir, cert, namespace):
    """Every command that takes a mailbox name, with every kind of bad
    name: NO (never OK, never BAD: the name is a well-formed string),
    and no path below the test directory appears or goes."""
    prefix = "INBOX." if namespace == "courier" else ""
    conf = "namespace %s\nmax_errors 1000\n" % namespace
    with Site(workdir, cert, conf=conf) as site:
        put(site, SIMPLE)
        make_folder(site, ".Real")
        a, b = Session(site), Session(site)
        a.cmd("SELECT INBOX")
        a.cmd("UNSELECT")               # the cache written
        a.cmd("SELECT INBOX")
        before = tree(workdir)
        real = wire(prefix + "Real")
        n = 0
        for name in bad_names(prefix):
            w = wire(name)
            for cmd, who in (
                    (b"CREATE " + w, a), (b"DELETE " + w, a),
                    (b"RENAME " + real + b" " + w, a),
                    (b"RENAME " + w + b" " + real, a),
                    (b"SUBSCRIBE " + w, a), (b"UNSUBSCRIBE " + w, a),
                    (b"STATUS " + w + b" (MESSAGES)", a),
                    (b"APPEND " + w + b" {3+}\r\nx\r\n", a),
                    (b"COPY 1 " + w, a), (b"MOVE 1 " + w, a),
                    (b"UID COPY 1 " + w, a), (b"SELECT " + w, b),
                    (b"EXAMINE " + w, b)):
                n += 1
                tag = b"n%d" % n
                who.r.send(tag + b" " + cmd + b"\r\n")
                lines, answer = tagged(who, tag)
                assert answer.startswith(b"NO ["), (name, cmd, answer)
            for cmd in (b'LIST "" ' + w, b"LIST " + w + b' "*"',
                        b'LSUB "" ' + w):
                n += 1
                tag = b"n%d" % n
                a.r.send(tag + b" " + cmd + b"\r\n")
                lines, answer = tagged(a, tag)
                # A pattern over LIST_PATTERN_MAX is BAD (imap_list.c).
                assert answer.startswith((b"OK", b"NO")) or answer == (
                    b"BAD %s: the pattern is too long" % cmd.split()[0]), (
                    name, cmd, answer)
        assert n == 16 * len(bad_names(prefix)), n
        assert tree(workdir) == before
        assert uids(a) == [1]
        lines, _ = a.cmd('LIST "" "*"')
        assert lines == [b'* LIST (\\HasChildren) "." "INBOX"' if prefix
                         else b'* LIST (\\HasNoChildren) "." "INBOX"',
                         b'* LIST (\\HasNoChildren) "." "%sReal"' %
                         prefix.encode()]
        a.close()
        b.close()


def test_folder_depth_limit(site):
    """store.h: at most 16 levels; the 17th is refused with NO [CANNOT]
    and nothing is made."""
    s = Session(site)
    ok = "INBOX." + ".".join(["l"] * FOLDER_LEVELS_MAX)
    assert s.cmd("CREATE " + ok) == ([], b"OK CREATE completed")
    deeper = ok + ".l"
    lines, tag = s.cmd("CREATE " + deeper)
    assert tag.startswith(b"NO [CANNOT] "), tag
    dirs = [d for d in os.listdir(site.maildir()) if d.startswith(".")]
    assert len(dirs) == FOLDER_LEVELS_MAX
    s.close()


# --- big and deep messages through the daemon ----------------------------

def deep_message(levels=10000):
    """levels nested multiparts (lib/mime's test_deep, through imapsd)."""
    out = [b"From: deep@example.com\nSubject: deep\n"]
    for i in range(levels):
        out.append(b'Content-Type: multipart/mixed; boundary="b%dx"\n\n'
                   b"--b%dx\n" % (i, i))
    out.append(b"Content-Type: text/plain\n\nleaf needle\n")
    for i in range(levels - 1, -1, -1):
        out.append(b"--b%dx--\n" % i)
    return b"".join(out)


def big_header_message(size=100 << 20):
    line = b"X-Filler: " + b"a" * 69 + b"\n"
    head = b"From: big@example.com\nSubject: big\n"
    n = (size - len(head)) // len(line)
    return head + line * n + b"Subject: too late\n\nbody\n"


def test_deep_mime_through_the_daemon(site):
    """10,000 nested multiparts: FETCH and SEARCH answer, cut at lib/mime's
    MIME_MAX_DEPTH as Dovecot does, in bounded time and memory."""
    put(site, deep_message())
    s = Session(site)
    s.cmd("SELECT INBOX")
    pid = session_pid(site)
    start = time.monotonic()
    with PeakAnon(pid) as mem:
        lines, tag = s.cmd("FETCH 1 (BODYSTRUCTURE)")
        assert tag == b"OK FETCH completed"
        assert lines[0].startswith(b"* 1 FETCH (BODYSTRUCTURE ((((")
        assert (b'("application" "octet-stream" ("boundary" "b99x") NIL '
                b'NIL "7bit" ') in lines[0]
        part = ".".join(["1"] * 64)
        assert s.cmd("FETCH 1 (BODY.PEEK[%s]<0.6>)" % part) == (
            [b"* 1 FETCH (BODY[%s]<0> {6}\r\n--b64x)" % part.encode()],
            b"OK FETCH completed")
        # The leaf is below the cut: not searched, as any non-text part.
        assert s.cmd("SEARCH BODY needle") == ([b"* SEARCH"],
                                               b"OK SEARCH completed")
        assert s.cmd("SEARCH TEXT deep") == ([b"* SEARCH 1"],
                                             b"OK SEARCH completed")
    assert time.monotonic() - start < 60
    assert mem.growth() < MEMORY_SLACK, mem.growth()
    s.close()


def test_deep_parts_fetchable_as_bodystructure_shows(site):
    """BODYSTRUCTURE shows 99 levels of parts; each one it shows can be
    fetched (lib/mime.h: "BODY[n...] gives its raw content" of the cut
    part), a missing one is an empty string."""
    put(site, deep_message())
    s = Session(site)
    s.cmd("SELECT INBOX")
    cut = ".".join(["1"] * (MIME_DEPTH - 1))
    assert s.cmd("FETCH 1 (BODY.PEEK[%s]<0.6>)" % cut) == (
        [b"* 1 FETCH (BODY[%s]<0> {6}\r\n--b99x)" % cut.encode()],
        b"OK FETCH completed")
    # As in Dovecot, "1" below a part that is no multipart is that part
    # once more; any other number below it names nothing.
    same = cut + ".1"
    assert s.cmd("FETCH 1 (BODY.PEEK[%s]<0.6>)" % same) == (
        [b"* 1 FETCH (BODY[%s]<0> {6}\r\n--b99x)" % same.encode()],
        b"OK FETCH completed")
    below = cut + ".2"
    assert s.cmd("FETCH 1 (BODY.PEEK[%s])" % below) == (
        [b'* 1 FETCH (BODY[%s] "")' % below.encode()],
        b"OK FETCH completed")
    # deeper than lib/mime parses: refused before any work
    deeper = cut + ".1.1"
    assert s.cmd("FETCH 1 (BODY.PEEK[%s])" % deeper)[1].startswith(b"BAD ")
    s.close()


@pytest.fixture
def big_site(site):
    """The site with one message whose header is 100 MB, selected."""
    data = big_header_message()
    site.put(data, sub="cur", info=":2,")
    s = Session(site)
    s.cmd("SELECT INBOX")
    yield site, s, data
    s.close()


def test_big_header_structure_and_search(big_site):
    """A 100 MB header: ENVELOPE, BODYSTRUCTURE, HEADER.FIELDS, partial
    sections and SEARCH through the daemon, at bounded memory (the file
    is mapped: its pages are the page cache's, not the session's)."""
    site, s, data = big_site
    with PeakAnon(session_pid(site)) as mem:
        s.r.send(b"b1 FETCH 1 (RFC822.SIZE ENVELOPE BODYSTRUCTURE)\r\n")
        lines, tag = read_big(s, b"b1")
        assert tag == b"OK FETCH completed"
        assert b"RFC822.SIZE %d " % (len(data) + data.count(b"\n")) \
            in lines[0]
        assert b'ENVELOPE (NIL "big" ((NIL NIL "big" "example.com"))' \
            in lines[0]
        assert s.cmd("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])") == (
            [b"* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {16}\r\n"
             b"Subject: big\r\n\r\n)"], b"OK FETCH completed")
        assert s.cmd("FETCH 1 (BODY.PEEK[HEADER]<0.21>)") == (
            [b"* 1 FETCH (BODY[HEADER]<0> {21}\r\nFrom: big@example.com)"],
            b"OK FETCH completed")
        assert s.cmd("FETCH 1 (BODY.PEEK[TEXT])") == (
            [b"* 1 FETCH (BODY[TEXT] {6}\r\nbody\r\n)"], b"OK FETCH completed")
        assert s.cmd("SEARCH SUBJECT big") == ([b"* SEARCH 1"],
                                               b"OK SEARCH completed")
        assert s.cmd("SEARCH BODY body") == ([b"* SEARCH 1"],
                                             b"OK SEARCH completed")
    assert mem.growth() < MEMORY_SLACK, mem.growth()


def test_big_header_fetched_whole(big_site):
    """BODY.PEEK[HEADER] of the 100 MB header: the answer is right, and
    the session does not hold the header in memory to send it (the
    mapping stays valid when another process removes the file)."""
    site, s, data = big_site
    head = data.split(b"\n\n", 1)[0] + b"\n\n"
    with PeakAnon(session_pid(site)) as mem:
        s.r.send(b"b2 FETCH 1 (BODY.PEEK[HEADER])\r\n")
        lines, tag = read_big(s, b"b2")
    assert tag == b"OK FETCH completed"
    assert lines == [b"* 1 FETCH (BODY[HEADER] {%d}\r\n<%d octets>)" %
                     ((len(head) + head.count(b"\n"),) * 2)]
    assert mem.growth() < MEMORY_SLACK, "%d MB" % (mem.growth() >> 20)


# --- the manual pages ----------------------------------------------------

def man_entries(path):
    """{keyword: text of its .It Ic entry} of a manual page."""
    with open(path) as f:
        text = f.read()
    out = {}
    for part in re.split(r"^\.It Ic ", text, flags=re.M)[1:]:
        word = re.match(r"[a-z_]+", part).group(0)
        out[word] = re.split(r"^\.(?:It|El)\b", part, flags=re.M)[0]
    return out


def man_default(entry):
    m = re.search(r"Default:\s*(?:\.[A-Z][a-z]\s+)?(\S+)", entry)
    assert m, entry
    return m.group(1).rstrip(".")


def normal(value):
    """A size or duration as imapsd -nv prints it."""
    m = re.fullmatch(r"(\d+)([KMG])", value)
    if m:
        return str(int(m.group(1)) << {"K": 10, "M": 20, "G": 30}[m.group(2)])
    m = re.fullmatch(r"(\d+)([smhd])", value)
    if m:
        mult = {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
        return "%ds" % (int(m.group(1)) * mult)
    return value


def printed(workdir, text):
    """{keyword: value} of imapsd -nv for text; None when not set."""
    out = {}
    for line in buzontest.accepted_config("imapsd", workdir,
                                          text).splitlines():
        m = re.match(r"# ([a-z_]+) \(not set\)$", line)
        if m:
            out[m.group(1)] = None
            continue
        word, _, rest = line.partition(" ")
        out.setdefault(word, rest)
    return out


def base_conf():
    """A configuration with no keyword but listen, where -n can check
    the default user (it must exist when run as root)."""
    import pwd
    text = "listen 127.0.0.1 993 imaps\n"
    try:
        pwd.getpwnam("_imapsd")
    except KeyError:
        if buzontest.IS_ROOT:
            return text + "user nobody\n", False
    return text, True


def test_man_keywords_and_defaults_are_true(workdir):
    """imapsd.conf(5) documents exactly the keywords imapsd takes, each
    with the default imapsd really has."""
    entries = man_entries(MAN5)
    text, user_default = base_conf()
    got = printed(workdir, text)
    assert set(entries) == set(got), set(entries) ^ set(got)
    wrong = {}
    for word, entry in entries.items():
        dfl = man_default(entry)
        if word == "listen" or (word == "user" and not user_default):
            continue
        want = None if dfl == "none" else normal(dfl)
        if got[word] != want:
            wrong[word] = (dfl, got[word])
    assert wrong == {}, wrong
    # 30 minutes after login, shorter before it (issue #4).
    assert got["timeout"] == "1800s" and got["login_timeout"] == "60s"


BOUNDS = [
    # keyword, the manual's words, lowest, under it, highest, over it
    ("max_sessions", "1 to 100000", "1", "0", "100000", "100001"),
    ("max_sessions_per_addr", "1 to 100000", "1", "0", "100000", "100001"),
    ("max_sessions_per_user", "1 to 1000", "1", "0", "1000", "1001"),
    ("max_line", "1K to 1M", "1K", "1023", "1M", "1048577"),
    ("max_literal", "1K to 16M", "1K", "1023", "16M", "16777217"),
    ("max_append", "1K to 2G", "1K", "1023", "2G", "2147483649"),
    ("max_auth_line", "255 to 16384", "255", "254", "16384", "16385"),
    ("login_timeout", "1 second to 1 hour", "1s", "0", "1h", "3601s"),
    ("timeout", "1 second to 1 day", "1s", "0", "1d", "86401s"),
    ("max_errors", "1 to 1000", "1", "0", "1000", "1001"),
]


@pytest.mark.parametrize("word,words,low,under,high,over", BOUNDS)
def test_man_bounds_are_true(workdir, word, words, low, under, high, over):
    entry = man_entries(MAN5)[word]
    assert words in " ".join(entry.split()), entry
    text, _ = base_conf()
    for value in (low, high):
        _, r = buzontest.check_config("imapsd", workdir,
                                      text + "%s %s\n" % (word, value))
        assert r.returncode == 0, (value, r.stderr)
    for value in (under, over):
        buzontest.assert_refused("imapsd", workdir, text,
                                 "%s %s" % (word, value), "out of range")


@pytest.mark.parametrize("line", ["max_line 2K", "timeout 1m",
                                  "chroot /var/empty", "namespace dovecot"])
def test_man_keywords_given_once(workdir, line):
    """imapsd.conf(5): "Every keyword but listen and plaintext_networks
    may be given once"."""
    text, _ = base_conf()
    buzontest.assert_refused("imapsd", workdir, text + line + "\n", line,
                             "given twice")


def test_man_listen_and_network_lists_are_true(workdir):
    """At most 16 listen lines and 64 networks, the lists adding up."""
    text, _ = base_conf()
    got = buzontest.accepted_config(
        "imapsd", workdir, text + "plaintext_networks 10.0.0.0/8\n"
        "plaintext_networks ::1 192.0.2.0/24\n")
    assert re.search(r"plaintext_networks .*10\.0\.0\.0/8.*::1.*"
                     r"192\.0\.2\.0/24", got), got
    listen = "".join("listen 127.0.0.1 %d imaps\n" % (2000 + i)
                     for i in range(15))
    _, r = buzontest.check_config("imapsd", workdir, text + listen)
    assert r.returncode == 0, r.stderr
    buzontest.assert_refused("imapsd", workdir, text + listen,
                             "listen 127.0.0.1 1999 imap",
                             "more than 16 lines", at_line=False)
    nets = "".join("plaintext_networks 10.0.%d.0/24\n" % i for i in range(64))
    _, r = buzontest.check_config("imapsd", workdir, text + nets)
    assert r.returncode == 0, r.stderr
    _, r = buzontest.check_config("imapsd", workdir, text + nets +
                                  "plaintext_networks 10.1.0.0/24\n")
    assert r.returncode == 78, r.stderr


def test_sample_config_shows_the_defaults(workdir):
    """conf/imapsd.conf parses, and each commented keyword line in it
    ("Commented lines show the default") holds the real default."""
    with open(SAMPLE) as f:
        sample = f.read()
    text, user_default = base_conf()
    extra = "" if user_default else "user nobody\n"
    _, r = buzontest.check_config("imapsd", workdir, sample + extra)
    assert r.returncode == 0, r.stderr
    commented = re.findall(r"^#([a-z_]+)[ \t]+(.+)$", sample, re.M)
    assert len(commented) >= 15, commented
    defaults = printed(workdir, text)
    for word, value in commented:
        if word == "user" and not user_default:
            continue
        if word == "plaintext_networks":
            continue                  # an example, said so in the sample
        want = " ".join(normal(v) for v in value.split())
        assert defaults[word] == want, (word, value, defaults[word])


def man_sentences(*paths):
    """The prose of manual pages, macros dropped, one sentence each."""
    words = []
    for path in paths:
        with open(path) as f:
            for line in f:
                if line.startswith('.\\"'):
                    continue
                if line.startswith("."):
                    line = re.sub(r"^\.\S+\s*", "", line)
                    line = re.sub(r"\b(?:Ns|Ql|Ic|Ar|Cm|Pa|Li|Xr|Dq)\b ?",
                                  "", line)
                words.append(line.strip())
    return re.split(r"(?<=[.;])\s+(?=[A-Z(])", " ".join(words))


@pytest.mark.parametrize("number,words", [
    ("32", ("nest",)),                        # lib/imapcmd.h DEPTH_MAX
    ("10000", ("range",)),                    # lib/imapcmd.h RANGES_MAX
    ("256", ("keys",)),                       # IMAP_SEARCH_KEYS_MAX
    ("16", ("levels",)),                      # STORE_DEPTH_MAX
])
def test_named_limits_are_documented(number, words):
    """Issue #4: named, documented limits.  Each limit the parser or the
    store applies is stated in imapsd(8) or imapsd.conf(5)."""
    found = [s for s in man_sentences(MAN8, MAN5)
             if re.search(r"\b%s\b" % number, s.replace(",", ""))
             and any(w in s.lower() for w in words)]
    assert found, "no sentence says %s %s" % (number, words[0])
