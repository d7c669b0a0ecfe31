"""Drives regress/imapsd/storetool.c (imapsd's mailbox store) and builds
Maildir++ fixtures by hand, courier's files included."""

import os
import subprocess

import buzontest


def escape(word):
    """storetool's word form: %XX for '%', space and control octets."""
    raw = word if isinstance(word, bytes) else str(word).encode()
    out = bytearray()
    for b in raw:
        if b <= 0x20 or b == 0x25 or b == 0x7f:
            out += b"%%%02X" % b
        else:
            out.append(b)
    return bytes(out)


class Reply:
    def __init__(self, lines, ok, err):
        self.lines = lines
        self.ok = ok
        self.err = err

    def words(self, key):
        return [ln.split()[1:] for ln in self.lines if ln.split()[0] == key]

    def first(self, key):
        w = self.words(key)
        return w[0] if w else None

    def __repr__(self):
        return "Reply(%r, ok=%r, err=%r)" % (self.lines, self.ok, self.err)


class Tool:
    """One storetool process: one session of the store."""

    def __init__(self, maildir, workdir):
        self.maildir = maildir
        self.stderr = open(os.path.join(workdir, "storetool.%d.err" %
                                        id(self)), "w+")
        self.p = subprocess.Popen(
            [buzontest.binary("storetool"), maildir],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.stderr)

    def cmd(self, *words):
        line = b" ".join(escape(w) for w in words) + b"\n"
        self.p.stdin.write(line)
        self.p.stdin.flush()
        lines = []
        while True:
            raw = self.p.stdout.readline()
            assert raw, "storetool died: %s" % self.log()
            ln = raw.decode("utf-8", "replace").rstrip("\n")
            if ln == "ok":
                return Reply(lines, True, None)
            if ln.startswith("no "):
                return Reply(lines, False, ln[3:])
            lines.append(ln)

    def ok(self, *words):
        r = self.cmd(*words)
        assert r.ok, "%s: %r\n%s" % (words, r, self.log())
        return r

    def no(self, *words):
        r = self.cmd(*words)
        assert not r.ok, "%s: %r" % (words, r)
        return r

    def msgs(self):
        """[(seq, uid, flags, keywords, file)] of the selected folder."""
        out = []
        for ln in self.ok("msgs").lines:
            seq, uid, flags, kw, f = ln.split(" ", 4)
            out.append((int(seq), int(uid), flags, kw, f))
        return out

    def log(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            self.p.wait(timeout=30)
        self.stderr.close()
        return self.p.returncode


def maildir(path, folder=False):
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(path, sub), mode=0o700, exist_ok=True)
    if folder:
        open(os.path.join(path, "maildirfolder"), "w").close()
    return path


SEQ = [0]


def message(subject="hello", body="body\n", sec=1700000000):
    SEQ[0] += 1
    name = "%d.M%dP100Q%d.host" % (sec, SEQ[0], SEQ[0])
    data = ("From: a@example.org\nTo: b@example.org\nSubject: %s\n\n%s"
            % (subject, body)).encode()
    return name, data


def put(path, sub="cur", info=":2,", subject="hello", body="body\n",
        sec=1700000000, mtime=None):
    """A message file written by hand; returns its base name."""
    name, data = message(subject, body, sec)
    fn = os.path.join(path, sub, name + (info if sub == "cur" else ""))
    with open(fn, "wb") as f:
        f.write(data)
    if mtime is not None:
        os.utime(fn, (mtime, mtime))
    return name


def files(path, sub="cur"):
    return sorted(os.listdir(os.path.join(path, sub)))


def find(path, base):
    """The sub/name of base in new/ or cur/, or None."""
    for sub in ("cur", "new"):
        for f in os.listdir(os.path.join(path, sub)):
            if f.split(":2,")[0] == base:
                return sub + "/" + f
    return None
