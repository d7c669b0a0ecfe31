"""authd under load, throttling and timing."""

import statistics
import threading
import time

from authdwire import Authd, OK, FAIL, hammer, mkhash, passwd_line

CLIENTS = 64
TOTAL = 10000
NOTHROTTLE = "throttle_after 1000\n"


def test_concurrent_clients(workdir):
    """64 clients, 10,000 auths in total, right and wrong passwords mixed:
    every answer is the right one."""
    lines = [passwd_line("u%02d" % i, mkhash("pw%02d" % i, "bcrypt"),
                         3000 + i, 3000 + i) for i in range(CLIENTS)]
    per = [TOTAL // CLIENTS + (n < TOTAL % CLIENTS) for n in range(CLIENTS)]
    with Authd(workdir, lines, conf=NOTHROTTLE + "max_clients 100\n") as a:
        errors, done = hammer(a, CLIENTS, per, 150)
    assert not errors, errors[:5]
    assert done == TOTAL


def test_throttle_grows_and_expires(workdir):
    lines = [passwd_line("ana", mkhash("ana-pw", "bcrypt")),
             passwd_line("bob", mkhash("bob-pw", "bcrypt"))]
    conf = ("throttle_after 2\nthrottle_base 1s\nthrottle_max 2s\n"
            "throttle_expire 3s\n")
    with Authd(workdir, lines, conf=conf) as a:
        c = a.connect()
        delays = []
        for i in range(5):
            t0 = time.monotonic()
            t, _ = c.auth("ana", "wrong", addr="198.51.100.%d" % i)
            delays.append(time.monotonic() - t0)
            assert t == FAIL
        # two free failures, then 1s, 2s, then capped at 2s
        assert delays[0] < 0.5 and delays[1] < 0.5, delays
        assert 0.8 < delays[2] < 1.6, delays
        assert 1.8 < delays[3] < 2.6, delays
        assert 1.8 < delays[4] < 2.6, delays
        assert "event=throttle user=ana" in a.log()
        assert "key=user" in a.log()
        # a throttled user holds nobody else back
        other = a.connect()
        hold = threading.Thread(target=c.auth, args=("ana", "wrong"))
        hold.start()
        time.sleep(0.1)
        t0 = time.monotonic()
        assert other.auth("bob", "bob-pw", addr="203.0.113.9")[0] == OK
        assert time.monotonic() - t0 < 0.5
        hold.join()
        # forgotten after throttle_expire
        time.sleep(3.2)
        t0 = time.monotonic()
        assert c.auth("ana", "ana-pw")[0] == OK
        assert time.monotonic() - t0 < 0.5
        c.close()
        other.close()


def test_throttle_by_address_and_unknown_user(workdir):
    lines = [passwd_line("ana", mkhash("ana-pw", "bcrypt"))]
    conf = ("throttle_after 1\nthrottle_base 1s\nthrottle_max 1s\n"
            "throttle_expire 60s\n")
    with Authd(workdir, lines, conf=conf) as a:
        c = a.connect()
        # unknown users, each new, from one address
        c.auth("ghost1", "x", addr="192.0.2.66")
        t0 = time.monotonic()
        assert c.auth("ghost2", "x", addr="192.0.2.66")[0] == FAIL
        assert time.monotonic() - t0 > 0.8
        assert "key=addr" in a.log()
        # an unknown user is throttled like a known one
        c.auth("ghost3", "x", addr="192.0.2.1")
        t0 = time.monotonic()
        c.auth("ghost3", "x", addr="192.0.2.2")
        assert time.monotonic() - t0 > 0.8
        # a clean address and user are not
        t0 = time.monotonic()
        assert c.auth("ana", "ana-pw", addr="192.0.2.7")[0] == OK
        assert time.monotonic() - t0 < 0.5
        c.close()


def test_unknown_user_costs_a_hash(workdir):
    """An unknown user takes about as long as a wrong password."""
    lines = [passwd_line("ana", mkhash("ana-pw", "bcrypt", 9))]
    with Authd(workdir, lines, conf=NOTHROTTLE + "workers 1\n") as a:
        c = a.connect()

        def median(user):
            times = []
            for _ in range(9):
                t0 = time.monotonic()
                assert c.auth(user, "wrong", addr="")[0] == FAIL
                times.append(time.monotonic() - t0)
            return statistics.median(times)
        median("ana")                    # warm up
        known, unknown = median("ana"), median("nobody-here")
        c.close()
    assert known > 0.005, known          # a real bcrypt hash ran
    assert 0.6 < unknown / known < 1.6, (known, unknown)
