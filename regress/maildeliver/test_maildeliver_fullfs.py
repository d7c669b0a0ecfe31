"""maildeliver(8) on a full filesystem: a small tmpfs (root only).  The
delivery must fail with 75 (EX_TEMPFAIL), leave new/ untouched and remove
its tmp/ file."""

import errno
import os
import subprocess

import pytest

import buzontest
from buzontest import binary

EX_TEMPFAIL = 75
FS_SIZE = 64 * 1024
CHUNK = 4096


def env():
    e = {k: v for k, v in os.environ.items()
         if k.startswith(("ASAN_", "UBSAN_", "LSAN_"))}
    e["PATH"] = "/usr/bin:/bin"
    return e


@pytest.fixture
def tinyfs(workdir):
    if not buzontest.IS_ROOT:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = os.path.join(workdir, "mnt")
    os.mkdir(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                        "size=%d,mode=0755" % FS_SIZE, "tmpfs", mnt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount tmpfs: " + r.stderr.strip())
    try:
        yield mnt
    finally:
        subprocess.run(["umount", mnt], check=True)


def fill(path):
    """Writes path until the filesystem is full; returns its size."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while True:
            try:
                os.write(fd, b"\0" * CHUNK)
            except OSError as e:
                assert e.errno == errno.ENOSPC
                break
    finally:
        os.close(fd)
    return os.path.getsize(path)


def deliver(md, data):
    return subprocess.run([binary("maildeliver"), "-d", md, "-f",
                           "bob@example.com", "-r", "ana@example.org"],
                          input=data, capture_output=True, env=env(),
                          timeout=60)


def state(md):
    return {s: sorted(os.listdir(os.path.join(md, s)))
            for s in ("tmp", "new", "cur")}


def test_full_filesystem_is_temporary(tinyfs):
    md = os.path.join(tinyfs, "Maildir")
    assert subprocess.run([binary("maildirmake"), md]).returncode == 0
    r = deliver(md, b"Subject: fits\n\nsmall\n")
    assert r.returncode == 0, r.stderr
    before = state(md)
    assert len(before["new"]) == 1
    filler = os.path.join(tinyfs, "filler")
    size = fill(filler)
    # Room for part of the message only: the write fails midway.
    os.truncate(filler, max(0, size - 4 * CHUNK))
    r = deliver(md, b"Subject: big\n\n" + b"y" * 100 * 1024)
    assert r.returncode == EX_TEMPFAIL, r.stderr
    assert b"No space left on device" in r.stderr
    assert state(md) == before
    # Now no room at all.
    fill(filler)
    r = deliver(md, b"Subject: tiny\n\nx\n")
    assert r.returncode == EX_TEMPFAIL, r.stderr
    assert state(md) == before
    with open(os.path.join(md, "new", before["new"][0]), "rb") as f:
        assert f.read().endswith(b"Subject: fits\n\nsmall\n")
