"""maildeliver -S: message after message over the spawner's socket
(lib/mdaproto.h), each answered once, each landing as a single run's
would; a malformed packet ends the process."""

import os
import re
import socket
import struct
import subprocess

import pytest

from buzontest import binary
from test_maildeliver import EX_TEMPFAIL, NAME_RE, env, listing, \
    make_maildir

EX_OK = 0
EX_USAGE = 64
EX_DATAERR = 65
EX_SOFTWARE = 70
ADDR, PATH, REASON = 257, 1025, 257
# struct mda_deliver / mda_result, with the compiler's tail padding.
DELIVER = struct.Struct("=IIQ%ds%ds%ds" % (ADDR, ADDR, PATH))
DELIVER_SIZE = (DELIVER.size + 7) // 8 * 8
RESULT = struct.Struct("=IIQi%ds" % REASON)
RESULT_SIZE = (RESULT.size + 7) // 8 * 8


class Serve:
    def __init__(self, tmp_path, timeout=60):
        self.sock, theirs = socket.socketpair(socket.AF_UNIX,
                                              socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen(
            [binary("maildeliver"), "-S", "-t", str(timeout)],
            stdin=theirs, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env(HOME=str(tmp_path)))
        theirs.close()
        self.sock.settimeout(30)
        self.tmp = tmp_path

    def send(self, delivery, body, maildir, sender="bob@example.com",
             rcpt="ana@example.org", raw=None):
        path = self.tmp / ("body%d" % delivery)
        path.write_bytes(body)
        fd = os.open(path, os.O_RDONLY)
        try:
            pkt = raw if raw is not None else DELIVER.pack(
                1, 1, delivery, sender.encode(), rcpt.encode(),
                maildir.encode()).ljust(DELIVER_SIZE, b"\0")
            socket.send_fds(self.sock, [pkt], [fd])
        finally:
            os.close(fd)

    def result(self):
        data = self.sock.recv(1024)
        assert len(data) == RESULT_SIZE
        ver, typ, delivery, status, reason = RESULT.unpack(
            data[:RESULT.size])
        assert (ver, typ) == (1, 2)
        return delivery, status, reason.rstrip(b"\0").decode()

    def close(self):
        self.sock.close()
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err


def test_serves_many_messages_in_one_process(tmp_path):
    md = make_maildir(str(tmp_path / "Maildir"))
    s = Serve(tmp_path)
    for i in range(1, 6):
        s.send(i, b"Subject: %d\r\n\r\nbody %d\r\n" % (i, i), md,
               rcpt="ana%d@example.org" % i)
        assert s.result() == (i, EX_OK, "")
    assert s.close() == (0, b"")
    names = listing(md)
    assert len(names) == 5
    pids = {re.search(r"P(\d+)Q", n).group(1) for n in names}
    assert pids == {str(s.proc.pid)}
    assert len({re.search(r"Q(\d+)R", n).group(1) for n in names}) == 5
    got = {}
    for n in names:
        assert NAME_RE.match(n)
        data = open(os.path.join(md, "new", n), "rb").read()
        got[data.split(b"Delivered-To: ")[1].split(b"\n")[0]] = data
    for i in range(1, 6):
        data = got[b"ana%d@example.org" % i]
        assert data.startswith(b"Return-Path: <bob@example.com>\n")
        assert data.endswith(b"Subject: %d\n\nbody %d\n" % (i, i))


def test_each_result_is_its_own(tmp_path):
    """A refusal answers with its reason; the next delivery is unaffected."""
    md = make_maildir(str(tmp_path / "Maildir"))
    s = Serve(tmp_path)
    s.send(7, b"Delivered-To: ana@example.org\r\n\r\nloop\r\n", md)
    d, status, reason = s.result()
    assert (d, status) == (7, EX_DATAERR)
    assert "loop" in reason.lower()
    s.send(8, b"Subject: ok\r\n\r\nfine\r\n", md)
    assert s.result() == (8, EX_OK, "")
    s.send(9, b"x\r\n", str(tmp_path / "nohome" / "Maildir"))
    d, status, reason = s.result()
    assert (d, status) == (9, EX_TEMPFAIL) and "nohome" in reason
    s.send(10, b"x\r\n", md, rcpt="bad\nrcpt@example.org")
    d, status, reason = s.result()
    assert (d, status) == (10, EX_USAGE) and "recipient" in reason
    assert s.close()[0] == 0
    assert len(listing(md)) == 1


@pytest.mark.parametrize("case", ["short", "version", "relative",
                                  "unterminated", "nofd"])
def test_malformed_request_ends_it(tmp_path, case):
    md = make_maildir(str(tmp_path / "Maildir"))
    s = Serve(tmp_path)
    good = DELIVER.pack(1, 1, 1, b"a@b", b"c@d", md.encode()).ljust(
        DELIVER_SIZE, b"\0")
    if case == "nofd":
        s.sock.send(good)
    else:
        raw = {
            "short": good[:-8],
            "version": DELIVER.pack(2, 1, 1, b"a@b", b"c@d", md.encode())
            .ljust(DELIVER_SIZE, b"\0"),
            "relative": DELIVER.pack(1, 1, 1, b"a@b", b"c@d", b"Maildir")
            .ljust(DELIVER_SIZE, b"\0"),
            "unterminated": DELIVER.pack(1, 1, 1, b"a" * ADDR, b"c@d",
                                         md.encode())
            .ljust(DELIVER_SIZE, b"\0"),
        }[case]
        s.send(1, b"x\r\n", md, raw=raw)
    code, err = s.close()
    assert code == EX_SOFTWARE
    assert b"malformed request" in err
    assert listing(md) == [] and listing(md, "tmp") == []


def test_timeout_ends_the_process_without_a_file(tmp_path):
    """The body never ends (a pipe kept open): the -t limit fires."""
    md = make_maildir(str(tmp_path / "Maildir"))
    s = Serve(tmp_path, timeout=1)
    r, w = os.pipe()
    os.write(w, b"Subject: slow\r\n\r\n")
    pkt = DELIVER.pack(1, 1, 1, b"a@b", b"c@d", md.encode()).ljust(
        DELIVER_SIZE, b"\0")
    socket.send_fds(s.sock, [pkt], [r])
    os.close(r)
    code, err = s.close()
    os.close(w)
    assert code == EX_TEMPFAIL and b"timed out" in err
    assert listing(md) == [] and listing(md, "tmp") == []


def test_options_of_a_single_run_are_refused_with_s(tmp_path):
    r = subprocess.run([binary("maildeliver"), "-S", "-d", str(tmp_path)],
                       capture_output=True, env=env(), timeout=30)
    assert r.returncode == EX_USAGE and b"usage" in r.stderr
