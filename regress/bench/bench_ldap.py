#!/usr/bin/env python3
"""authd's ldap backend against a real slapd (regress/slapdfix.py):
auth requests per second with several clients, in bind mode
(LDAP_AUTHBIND 1: slapd checks an {SSHA} password) and in compare mode
(authd checks it), and the latency one client sees, set beside a bare
search of the same entry on one persistent connection (ldapsearch -f
with many filters, so that its start-up is not counted).

    bench_ldap.py BUILD_DIR

A benchmark, not a test: it prints what it measured and always exits 0.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench_authd import CLIENTS, SECONDS, measure

HERE = os.path.dirname(os.path.abspath(__file__))
LATENCY_N = 2000


def latency(a, fn, n=LATENCY_N):
    """Median microseconds of fn(conn) on one connection."""
    c = a.connect(timeout=60)
    fn(c)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn(c)
        times.append(time.perf_counter() - t0)
    c.close()
    return statistics.median(times) * 1e6


def ldapsearch_us(slapd, slapdfix, filt, n=LATENCY_N):
    """Microseconds per search of ldapsearch on one connection, bound as
    LDAP_BINDDN: (time of n + 1 searches - time of 1) / n."""
    def run(k):
        path = os.path.join(slapd.dir, "filters")
        with open(path, "w") as f:
            f.write((filt + "\n") * k)
        argv = ["ldapsearch", "-x", "-LLL", "-H", slapd.uri, "-D",
                slapdfix.BINDDN, "-w", slapdfix.BINDPW, "-b",
                slapdfix.PEOPLE, "-f", path, "(%s)"]
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0
    one = min(run(1) for _ in range(3))
    many = min(run(n + 1) for _ in range(3))
    return (many - one) / n * 1e6


def bench(work, authdwire, slapdfix):
    s = slapdfix.Slapd(work)
    try:
        s.start()
        s.add(slapdfix.user("bench", slapdfix.ssha("bench-pw")))
        base = slapdfix.RC_HEAD
        bare = ldapsearch_us(s, slapdfix, "mail=bench@" + slapdfix.DOMAIN)
        print("bare ldapsearch of the entry: %.0f us per search (one "
              "connection)" % bare)
        for mode, extra in (("authbind", "LDAP_AUTHBIND 1\n"),
                            ("compare {SSHA}", "LDAP_CRYPTPW userPassword\n")):
            rc = s.authldaprc(os.path.join(work, "authldaprc"),
                              base + extra)
            a = authdwire.Authd(work, backends=["ldap " + rc],
                                conf="throttle_after 1000\n")
            with a:
                def auth(c):
                    assert c.auth("bench", "bench-pw", addr="")[0] == \
                        authdwire.OK

                def lookup(c):
                    assert c.lookup("bench")[0] == authdwire.OK
                rate = measure(a, auth, SECONDS)
                us = latency(a, auth)
                lk = latency(a, lookup) if mode == "authbind" else None
            print("authd auth (ldap, %s): %.0f req/s with %d clients; "
                  "%.0f us median, %.0f us over the bare search" %
                  (mode, rate, CLIENTS, us, us - bare))
            if lk is not None:
                print("authd lookup (ldap): %.0f us median, %.0f us over "
                      "the bare search" % (lk, lk - bare))
    finally:
        s.stop()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench_ldap.py BUILD_DIR")
    os.environ["BUZON_BIN"] = os.path.abspath(sys.argv[1])
    regress = os.path.dirname(HERE)
    sys.path[:0] = [regress, os.path.join(regress, "authd")]
    import authdwire
    import slapdfix
    why = slapdfix.available()
    if why:
        print("ldap bench: not measured: %s" % why)
        return
    work = tempfile.mkdtemp(prefix="buzon-bench-")
    os.chmod(work, 0o755)
    try:
        bench(work, authdwire, slapdfix)
    except Exception as e:      # a benchmark never fails the build
        print("ldap bench: not measured: %r" % (e,))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
