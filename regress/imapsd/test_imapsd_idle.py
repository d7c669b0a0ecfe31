"""imapsd's IDLE (RFC 2177) and ENABLE (RFC 5161): a delivery through
maildeliver, a flag change and an expunge by another process reported
while idling within 2 seconds (measured here), DONE in any case and
pipelined behind IDLE, a garbage or over-long line answered BAD with
the session going on, IDLE without a folder, the session timeout ending
an IDLE with BYE, and ENABLE's answers."""

import imaplib
import os
import re
import time

import pytest

import test_imapsd_fetch
from imapfix import Site, USERS

MSG = (b"From: Bob <bob@example.com>\nTo: ana@example.org\n"
       b"Subject: idle\n\nwake up\n")
WAKE = 2.0      # seconds the issue allows


class Session(test_imapsd_fetch.Session):
    """test_imapsd_fetch's client, with IDLE's lines one at a time."""

    def send(self, text):
        self.r.send(text.encode() + b"\r\n")

    def line(self, timeout=10):
        self.r.s.settimeout(timeout)
        return self.r.line()

    def idle(self):
        tag = self.tag()
        self.r.send(tag + b" IDLE\r\n")
        assert self.line() == b"+ idling"
        return tag

    def wait_for(self, pattern, start):
        """The untagged lines up to one matching pattern, and how long
        after start it came."""
        lines = []
        while True:
            line = self.line(timeout=WAKE + 3)
            assert line.startswith(b"* "), line
            lines.append(line)
            if re.match(pattern, line):
                return lines, time.monotonic() - start

    def done(self, tag, text="DONE"):
        self.send(text)
        return self.tagged(tag)


def put_cur(site, info=""):
    return site.put(MSG, sub="cur", info=":2," + info)


def cur_files(site):
    return sorted(os.listdir(os.path.join(site.maildir(), "cur")))


def test_capability(site):
    s = Session(site)
    lines, tagged = s.cmd("CAPABILITY")
    caps = lines[0].split()
    assert b"IDLE" in caps and b"ENABLE" in caps
    assert tagged.startswith(b"OK")
    s.close()


def test_wakeup_on_delivery(site):
    put_cur(site, "S")
    s = Session(site)
    lines, tagged = s.cmd("SELECT INBOX")
    assert b"* 1 EXISTS" in lines and tagged.startswith(b"OK")
    tag = s.idle()
    time.sleep(0.3)
    start = time.monotonic()
    site.deliver(MSG)
    lines, took = s.wait_for(rb"\* 2 EXISTS$", start)
    assert took < WAKE, "EXISTS %.2f s after the delivery" % took
    # \Recent of the new message follows with it or at DONE.
    lines2, tagged = s.done(tag)
    assert tagged == b"OK IDLE terminated"
    assert b"* 1 RECENT" in lines + lines2
    lines, tagged = s.cmd("FETCH 2 (FLAGS)")
    assert lines == [b"* 2 FETCH (FLAGS (\\Recent))"]
    assert tagged.startswith(b"OK")
    s.close()


def test_wakeup_on_flags_and_expunge_on_disk(site):
    """Another process (a second server, a mail client on the Maildir)
    renames a file to change its flags, and unlinks one."""
    put_cur(site)
    put_cur(site)
    s = Session(site)
    s.cmd("SELECT INBOX")
    tag = s.idle()
    time.sleep(0.3)
    cur = os.path.join(site.maildir(), "cur")
    first, second = cur_files(site)
    start = time.monotonic()
    os.rename(os.path.join(cur, first), os.path.join(cur, first + "FS"))
    lines, took = s.wait_for(rb"\* 1 FETCH \(FLAGS \(", start)
    assert took < WAKE
    assert lines[-1] == b"* 1 FETCH (FLAGS (\\Flagged \\Seen))"
    time.sleep(0.3)
    start = time.monotonic()
    os.unlink(os.path.join(cur, second))
    lines, took = s.wait_for(rb"\* 2 EXPUNGE$", start)
    assert took < WAKE
    assert s.done(tag, "done") == ([], b"OK IDLE terminated")
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    s.close()


def second_session(site):
    """An imaplib session that can STORE and EXPUNGE, or a skip while
    those commands are not there."""
    c = site.login()
    c.select("INBOX")
    try:
        c.store("1", "+FLAGS", "(\\Flagged)")
    except imaplib.IMAP4.error as e:
        c.logout()
        if "unknown command" in str(e):
            pytest.skip("STORE is not implemented yet")
        raise
    return c


def test_wakeup_by_second_imap_session(site):
    put_cur(site)
    put_cur(site)
    other = second_session(site)
    s = Session(site)
    s.cmd("SELECT INBOX")
    tag = s.idle()
    time.sleep(0.3)
    start = time.monotonic()
    typ, _ = other.store("2", "+FLAGS", "(\\Seen)")
    assert typ == "OK"
    lines, took = s.wait_for(rb"\* 2 FETCH \(FLAGS \(", start)
    assert took < WAKE and b"\\Seen" in lines[-1]
    time.sleep(0.3)
    start = time.monotonic()
    other.store("1", "+FLAGS", "(\\Deleted)")
    typ, _ = other.expunge()
    assert typ == "OK"
    lines, took = s.wait_for(rb"\* 1 EXPUNGE$", start)
    assert took < WAKE
    # A keyword: only the folder's keyword file may change.
    time.sleep(0.3)
    start = time.monotonic()
    typ, _ = other.store("1", "+FLAGS", "(Work)")
    assert typ == "OK"
    lines, took = s.wait_for(rb"\* 1 FETCH \(FLAGS \(", start)
    assert took < WAKE and b"Work" in lines[-1]
    assert any(x.startswith(b"* FLAGS (") and b"Work" in x for x in lines)
    s.done(tag)
    other.logout()
    s.close()


def test_wakeup_in_a_folder(site):
    d = os.path.join(site.maildir(), ".Lists")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub))
    open(os.path.join(d, "maildirfolder"), "w").close()
    if os.geteuid() == 0:
        uid = USERS["ana"][1]
        for root, dirs, fs in os.walk(d):
            os.chown(root, uid, uid)
            for f in fs:
                os.chown(os.path.join(root, f), uid, uid)
    s = Session(site)
    lines, tagged = s.cmd("SELECT INBOX.Lists")
    assert b"* 0 EXISTS" in lines, (lines, tagged)
    tag = s.idle()
    time.sleep(0.3)
    # A delivery to INBOX is not this folder's news.
    site.deliver(MSG)
    time.sleep(0.5)
    start = time.monotonic()
    name = site.put(MSG, sub="tmp")
    os.rename(os.path.join(site.maildir(), "tmp", name),
              os.path.join(d, "new", name))
    lines, took = s.wait_for(rb"\* 1 EXISTS$", start)
    assert took < WAKE
    s.done(tag)
    s.close()


def test_done_pipelined_and_without_folder(site):
    s = Session(site)
    # No folder selected: nothing to report, DONE ends it.
    tag = s.idle()
    time.sleep(1.5)
    assert s.done(tag) == ([], b"OK IDLE terminated")
    # DONE sent right behind IDLE, in one write: read from the buffer.
    s.r.send(b"p1 IDLE\r\nDONE\r\np2 NOOP\r\n")
    assert s.line() == b"+ idling"
    assert s.line() == b"p1 OK IDLE terminated"
    assert s.line() == b"p2 OK NOOP completed"
    s.cmd("SELECT INBOX")
    s.r.send(b"p3 IDLE\r\nDoNe\r\n")
    assert s.line() == b"+ idling"
    assert s.line() == b"p3 OK IDLE terminated"
    s.close()


@pytest.mark.parametrize("line", ["DONE NOW", "FOO", "t9 NOOP", "",
                                  "D" * 200])
def test_garbage_during_idle(site, line):
    s = Session(site)
    s.cmd("SELECT INBOX")
    tag = s.idle()
    lines, tagged = s.done(tag, line)
    assert tagged.startswith(b"BAD "), tagged
    # The session goes on, out of IDLE.
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    s.close()


def test_idle_bad_syntax(site):
    s = Session(site)
    _, tagged = s.cmd("IDLE now")
    assert tagged.startswith(b"BAD ")
    assert s.cmd("NOOP") == ([], b"OK NOOP completed")
    s.close()


def test_idle_before_login(site):
    r = site.raw(tls=True)
    assert r.line().startswith(b"* OK ")
    assert r.cmd("a IDLE").startswith(b"a BAD ")
    assert r.cmd("b ENABLE CONDSTORE").startswith(b"b BAD ")
    r.close()


def test_enable(site):
    s = Session(site)
    assert s.cmd("ENABLE CONDSTORE") == ([b"* ENABLED"],
                                         b"OK ENABLE completed")
    assert s.cmd("ENABLE X-UNKNOWN UTF8=ACCEPT") == (
        [b"* ENABLED"], b"OK ENABLE completed")
    for bad in ("ENABLE", "ENABLE (CONDSTORE)", 'ENABLE "CONDSTORE"'):
        lines, tagged = s.cmd(bad)
        assert lines == [] and tagged.startswith(b"BAD "), (bad, tagged)
    # Only in the authenticated state (RFC 5161 3.1).
    s.cmd("SELECT INBOX")
    _, tagged = s.cmd("ENABLE CONDSTORE")
    assert tagged.startswith(b"BAD ")
    s.close()


def test_timeout_during_idle(workdir, cert):
    with Site(workdir, cert, conf="timeout 3s\n") as site:
        s = Session(site)
        s.cmd("SELECT INBOX")
        start = time.monotonic()
        s.idle()
        line = s.line(timeout=10)
        took = time.monotonic() - start
        assert line.startswith(b"* BYE "), line
        assert 2.5 < took < 6, took
        assert s.r.closed()
        site.wait_log("result=timeout")
        # Without a folder, and a DONE cut short, the same.
        s = Session(site)
        s.idle()
        s.r.send(b"DO")
        assert s.line(timeout=10).startswith(b"* BYE ")
        assert s.r.closed()
        site.wait_log("result=timeout", count=2)
