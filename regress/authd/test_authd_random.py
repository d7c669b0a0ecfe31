"""authd under seeded random frames: requests with octets changed, cut
out or appended, one or more to a connection, the client's side shut
after them.  Each gets a well-formed answer (OK, FAIL, TEMPFAIL, or
ERROR and the end of the connection), nothing hangs, and the daemon
serves a real request afterwards.  Sanitizer reports fail the run
(regress/run.py)."""

import random
import socket

from authdwire import (Authd, OK, FAIL, TEMPFAIL, ERROR, LAYOUT, auth_frame,
                       lookup_frame, mkhash, passwd_line)
from buzontest import mangle

CONNECTIONS = 150
SEED = 5
NOISE = bytes(range(256))

FRAMES = [auth_frame("ana", "ana-pw"), auth_frame("ana", "wrong", "pop3", ""),
          auth_frame("nosuch", "x", "smtp", "2001:db8::1"),
          lookup_frame("ana"), lookup_frame("nosuch"), lookup_frame("")]


def test_random_frames(workdir):
    rnd = random.Random(SEED)
    # Failed logins are part of the input: authd must not slow them.
    a = Authd(workdir, [passwd_line("ana", mkhash("ana-pw"), 2001, 2001)],
              conf="throttle_after 1000\n")
    with a:
        for n in range(CONNECTIONS):
            sent = [mangle(rnd, rnd.choice(FRAMES), NOISE, 0.8)
                    for _ in range(rnd.randint(1, 3))]
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(a.sock)
            s.sendall(b"".join(sent))
            s.shutdown(socket.SHUT_WR)
            got = LAYOUT.read_all(s)
            s.close()
            # Octets appended to a frame read as the next one's header.
            assert len(got) <= len(b"".join(sent)) // 4 + 1, (n, sent, got)
            for i, (mtype, fields) in enumerate(got):
                assert mtype in (OK, FAIL, TEMPFAIL, ERROR), (n, sent, got)
                assert mtype != ERROR or i == len(got) - 1, (n, sent, got)
        c = a.connect()
        assert c.auth("ana", "ana-pw")[0] == OK
        assert c.lookup("ana")[1]["uid"] == 2001
        c.close()
