#!/usr/bin/env python3
"""authd requests per second: auth (file backend, bcrypt at the cost of
the sample configuration) and lookup, with several clients at once.  The
auth rate is set beside this machine's own bcrypt rate (one process per
core hashing in a loop, the same run), the ceiling of any authenticator.

    bench_authd.py BUILD_DIR

A benchmark, not a test: it prints what it measured and always exits 0.
"""

import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COST = 10               # bcrypt cost, as in conf/authd.conf
CLIENTS = 8
SECONDS = 3.0


def measure(a, fn, seconds):
    """Calls fn(conn) from CLIENTS connections for seconds; req/s."""
    done = [0] * CLIENTS
    stop = time.monotonic() + seconds

    def client(n):
        c = a.connect(timeout=60)
        while time.monotonic() < stop:
            fn(c)
            done[n] += 1
        c.close()
    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,))
               for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - t0)


def _hash_loop(args):
    pw, h, seconds = args
    import warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt
    n, stop = 0, time.monotonic() + seconds
    while time.monotonic() < stop:
        crypt.crypt(pw, h)
        n += 1
    return n / seconds


def raw_rate(pw, h, seconds):
    """Hashes per second with one process per core, or None."""
    try:
        with multiprocessing.Pool(os.cpu_count()) as pool:
            return sum(pool.map(_hash_loop, [(pw, h, seconds)] *
                                os.cpu_count()))
    except ImportError:
        return None


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench_authd.py BUILD_DIR")
    os.environ["BUZON_BIN"] = os.path.abspath(sys.argv[1])
    sys.path[:0] = [os.path.dirname(HERE), os.path.join(os.path.dirname(HERE),
                                                       "authd")]
    import authdwire
    work = tempfile.mkdtemp(prefix="buzon-bench-")
    os.chmod(work, 0o755)
    try:
        h = authdwire.mkhash("bench-pw", "bcrypt", COST)
        a = authdwire.Authd(work, [authdwire.passwd_line("bench", h)],
                            conf="throttle_after 1000\n")
        with a:
            def auth(c):
                assert c.auth("bench", "bench-pw", addr="")[0] == \
                    authdwire.OK
            auth_rate = measure(a, auth, SECONDS)

            def lookup(c):
                assert c.lookup("bench")[0] == authdwire.OK
            lookup_rate = measure(a, lookup, SECONDS)
        raw = raw_rate("bench-pw", h, SECONDS)
        line = ("authd auth (file, bcrypt cost %d): %.1f req/s with %d "
                "clients" % (COST, auth_rate, CLIENTS))
        if raw:
            line += "; bare bcrypt %.1f hash/s on %d cores; ratio %.2f" % (
                raw, os.cpu_count(), auth_rate / raw)
        print(line)
        print("authd lookup (file): %.0f req/s with %d clients" %
              (lookup_rate, CLIENTS))
    except Exception as e:      # a benchmark never fails the build
        print("authd bench: not measured: %r" % (e,))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
