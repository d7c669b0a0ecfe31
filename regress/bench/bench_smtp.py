#!/usr/bin/env python3
"""SMTP end to end, buzon beside Postfix in the same run; memory per idle
connection; POP3 RETR throughput.

    bench_smtp.py BUILD_DIR

Load: Postfix's smtp-source sends MESSAGES messages of 4 KiB, one per
connection, with 1, 10 and 50 concurrent clients, to a local recipient;
the clock stops when the last message is in the Maildir's new/.  Both
servers fsync a message before their 250 and before it appears in new/.
Server CPU per message is the machine's busy CPU time over the run less
the client's and this script's, divided by the messages.

Postfix (Debian package postfix) runs from its own configuration
directory on a loopback port, delivering with virtual(8) into a Maildir;
it needs root.  Without it only buzon's figures are printed.

Memory: the PSS of every process of the server's tree, with 50 idle
connections after EHLO (SMTP) or 20 logged-in POP3S sessions, less the
same without them, per connection.

A benchmark, not a test: it always exits 0.
"""

import os
import poplib
import pwd
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import buzontest  # noqa: E402
from buzontest import free_port  # noqa: E402

MESSAGES = int(os.environ.get("BUZON_BENCH_MESSAGES") or 5000)
CLIENTS = (1, 10, 50)
SIZE = 4096
IDLE_SMTP = 50
IDLE_POP3 = 20
RETR_MSGS, RETR_SIZE = 40, 1 << 20
SMTP_SOURCE = "/usr/sbin/smtp-source"


def busy_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4]          # less idle and iowait


def own_cpu():
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def clear(newdir):
    """An empty new/ for the next run.  The old one is moved aside, not
    emptied: deleting thousands of files right before a run would make
    the file system's inode allocation slow for the run that follows
    (ext4 without a journal skips inodes freed in the last 30 seconds)."""
    if not os.listdir(newdir):
        return
    st = os.stat(newdir)
    os.rename(newdir, "%s.%d" % (newdir, time.monotonic_ns()))
    os.mkdir(newdir, 0o700)
    os.chown(newdir, st.st_uid, st.st_gid)


def run_load(port, rcpt, newdir, clients):
    """Returns (msg/s, server CPU ms per message)."""
    clear(newdir)
    hz = os.sysconf("SC_CLK_TCK")
    t0, b0, c0 = time.monotonic(), busy_ticks(), own_cpu()
    subprocess.run([SMTP_SOURCE, "-s", str(clients), "-m", str(MESSAGES),
                    "-l", str(SIZE), "-f", "bench@example.org", "-t", rcpt,
                    "127.0.0.1:%d" % port], check=True,
                   stdout=subprocess.DEVNULL)
    while len(os.listdir(newdir)) < MESSAGES:
        if time.monotonic() - t0 > 600:
            raise RuntimeError("only %d of %d messages arrived" %
                               (len(os.listdir(newdir)), MESSAGES))
        time.sleep(0.01)
    secs = time.monotonic() - t0
    busy = (busy_ticks() - b0) / hz - (own_cpu() - c0)
    return MESSAGES / secs, 1000.0 * busy / MESSAGES


def tree(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, tid)) as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def pss_kib(pids):
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def idle_smtp_pss(port, root_pid):
    base = pss_kib(tree(root_pid))
    socks = []
    for _ in range(IDLE_SMTP):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"EHLO bench.example\r\n")
        while not f.readline()[3:4] == b" ":
            pass
        socks.append((s, f))
    time.sleep(1)
    per = (pss_kib(tree(root_pid)) - base) / IDLE_SMTP
    for s, f in socks:
        f.close()
        s.close()
    return per


# --- Postfix ----------------------------------------------------------

def postfix_master_cf(port):
    out = []
    with open("/etc/postfix/master.cf") as f:
        for line in f:
            w = line.split()
            if not w or line[0] in "# \t":
                out.append(line)
                continue
            if w[0] == "smtp" and w[1] == "inet":
                w[0] = "127.0.0.1:%d" % port
            if len(w) >= 8:
                w[4] = "n"          # no chroot: nothing copied into it
                line = " ".join(w) + "\n"
            out.append(line)
    return "".join(out)


def postfix_start(base, port, uid, gid):
    cfg = os.path.join(base, "etc")
    os.makedirs(cfg)
    os.makedirs(os.path.join(base, "spool"))
    os.makedirs(os.path.join(base, "data"))
    pf = pwd.getpwnam("postfix")
    os.chown(os.path.join(base, "data"), pf.pw_uid, pf.pw_gid)
    mail = os.path.join(base, "mail")
    os.makedirs(os.path.join(mail, "bench", "Maildir", "new"))
    for sub in ("cur", "tmp"):
        os.makedirs(os.path.join(mail, "bench", "Maildir", sub))
    for d, _, _ in os.walk(mail):
        os.chown(d, uid, gid)
    with open(os.path.join(cfg, "main.cf"), "w") as f:
        f.write("""compatibility_level = 3.6
queue_directory = %(base)s/spool
data_directory = %(base)s/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = bench.localhost
mydestination =
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_client_connection_count_limit = 0
virtual_mailbox_domains = localhost
virtual_mailbox_base = %(mail)s
virtual_mailbox_maps = static:bench/Maildir/
virtual_minimum_uid = 1
virtual_uid_maps = static:%(uid)d
virtual_gid_maps = static:%(gid)d
default_process_limit = 200
maillog_file_prefixes = %(base)s
maillog_file = %(base)s/maillog
""" % dict(base=base, mail=mail, uid=uid, gid=gid))
    with open(os.path.join(cfg, "master.cf"), "w") as f:
        f.write(postfix_master_cf(port))
    subprocess.run(["postfix", "-c", cfg, "check"], check=True,
                   capture_output=True)
    subprocess.run(["postfix", "-c", cfg, "start"], check=True,
                   capture_output=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            time.sleep(0.1)
    with open(os.path.join(base, "spool", "pid", "master.pid")) as f:
        pid = int(f.read())
    return {"cfg": cfg, "pid": pid, "port": port,
            "new": os.path.join(mail, "bench", "Maildir", "new")}


def postfix_stop(cfg):
    subprocess.run(["postfix", "-c", cfg, "stop"], capture_output=True)


# --- buzon ------------------------------------------------------------

def buzon_start(build, base):
    # buzontest read BUZON_BIN when this script imported it.
    os.environ["BUZON_BIN"] = buzontest.BIN = os.path.abspath(build)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "suite"))
    from suitefix import Suite
    s = Suite(base, nusers=IDLE_POP3)
    s.start_all()
    return s


def pop3_figures(s):
    ctx = ssl.create_default_context(cafile=s.path("etc", "cert.pem"))
    root = s.procs["pop3sd"].pid
    base = pss_kib(tree(root))
    sess = []
    for i in range(1, IDLE_POP3 + 1):
        p = poplib.POP3_SSL("localhost", s.port["pop3s"], context=ctx,
                            timeout=30)
        p.user("demo%d" % i)
        p.pass_(s.password)
        sess.append(p)
    time.sleep(1)
    per = (pss_kib(tree(root)) - base) / IDLE_POP3
    for p in sess:
        p.quit()
    # RETR: messages written straight into demo1's Maildir.
    md = s.maildir("demo1")
    st = os.stat(md)
    line = b"y" * 78 + b"\r\n"
    body = b"Subject: retr\r\n\r\n" + line * (RETR_SIZE // len(line))
    for i in range(RETR_MSGS):
        path = os.path.join(md, "new", "%d.bench%d.localhost" %
                            (time.time(), i))
        with open(path, "wb") as f:
            f.write(body)
        os.chown(path, st.st_uid, st.st_gid)
    p = poplib.POP3_SSL("localhost", s.port["pop3s"], context=ctx,
                        timeout=60)
    p.user("demo1")
    p.pass_(s.password)
    n = p.stat()[0]
    t0 = time.monotonic()
    octets = 0
    for i in range(1, n + 1):
        octets += p.retr(i)[2]
    secs = time.monotonic() - t0
    p.quit()
    return per, octets / secs / (1 << 20)


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    if not os.access(SMTP_SOURCE, os.X_OK):
        print("   smtp-source missing: apt-get install postfix")
        return 0
    base = tempfile.mkdtemp(prefix="buzon-bench-smtp-")
    os.chmod(base, 0o755)
    pfx = None
    s = None
    try:
        s = buzon_start(build, os.path.join(base, "buzon"))
        newdir = os.path.join(s.maildir(), "new")
        if os.geteuid() == 0 and shutil.which("postfix"):
            vm = pwd.getpwnam("_vmail")
            pfx = postfix_start(os.path.join(base, "postfix"), free_port(),
                                vm.pw_uid, vm.pw_gid)
        else:
            print("   Postfix not compared: it needs root and the postfix "
                  "package")
        # Before any load: Postfix keeps idle smtpd processes afterwards.
        text = "   idle SMTP connection: buzon %.0f KiB PSS" % \
            idle_smtp_pss(s.port["smtp"], s.procs["smtpd-lite"].pid)
        if pfx is not None:
            text += "; postfix %.0f KiB PSS" % idle_smtp_pss(pfx["port"],
                                                             pfx["pid"])
        print(text, flush=True)
        for n in CLIENTS:
            rate, cpu = run_load(s.port["smtp"], "demo@localhost", newdir, n)
            text = ("   %2d clients: buzon %6.0f msg/s, %.2f ms CPU/msg" %
                    (n, rate, cpu))
            if pfx is not None:
                prate, pcpu = run_load(pfx["port"], "bench@localhost",
                                       pfx["new"], n)
                text += ("; postfix %6.0f msg/s, %.2f ms CPU/msg; "
                         "ratio %.2f" % (prate, pcpu, rate / prate))
            print(text, flush=True)
        per, mbs = pop3_figures(s)
        print("   idle POP3S session: buzon %.0f KiB PSS" % per)
        print("   POP3S RETR of %d x 1 MiB: %.1f MiB/s" % (RETR_MSGS, mbs))
    except Exception as e:          # a benchmark reports, never fails
        print("   bench_smtp failed: %s" % e)
    finally:
        if pfx is not None:
            postfix_stop(pfx["cfg"])
        if s is not None:
            s.stop_all()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
