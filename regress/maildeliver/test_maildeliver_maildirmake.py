"""maildirmake(1): Maildirs and Maildir++ folders, modes and refusals."""

import os
import stat
import subprocess

import pytest

from buzontest import binary

EX_USAGE = 64
EX_NOINPUT = 66
EX_CANTCREAT = 73


def maildirmake(*args):
    return subprocess.run([binary("maildirmake")] + list(args),
                          capture_output=True, timeout=30)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_makes_maildir(workdir):
    md = os.path.join(workdir, "Maildir")
    r = maildirmake(md)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(md)) == ["cur", "new", "tmp"]
    for d in (md, md + "/tmp", md + "/new", md + "/cur"):
        assert os.path.isdir(d) and mode(d) == 0o700


def test_mode_ignores_umask(workdir):
    md = os.path.join(workdir, "Maildir")
    r = subprocess.run(["sh", "-c", 'umask 0277 && exec "$0" "$1"',
                        binary("maildirmake"), md], capture_output=True)
    assert r.returncode == 0, r.stderr
    assert mode(md) == 0o700 and mode(md + "/new") == 0o700


def test_existing_refused(workdir):
    md = os.path.join(workdir, "Maildir")
    assert maildirmake(md).returncode == 0
    r = maildirmake(md)
    assert r.returncode == EX_CANTCREAT
    assert b"maildirmake: " in r.stderr and b"exists" in r.stderr


def test_missing_parent(workdir):
    r = maildirmake(os.path.join(workdir, "no", "Maildir"))
    assert r.returncode == EX_CANTCREAT
    assert not os.path.exists(os.path.join(workdir, "no"))


@pytest.mark.parametrize("name,dirname", [
    ("Spam", ".Spam"), (".Trash", ".Trash"), ("Lists.buzon", ".Lists.buzon"),
])
def test_makes_folder(workdir, name, dirname):
    md = os.path.join(workdir, "Maildir")
    assert maildirmake(md).returncode == 0
    r = maildirmake("-f", name, md)
    assert r.returncode == 0, r.stderr
    f = os.path.join(md, dirname)
    assert sorted(os.listdir(f)) == ["cur", "maildirfolder", "new", "tmp"]
    for d in (f, f + "/tmp", f + "/new", f + "/cur"):
        assert mode(d) == 0o700
    assert os.path.getsize(f + "/maildirfolder") == 0
    # The folder takes deliveries.
    r = subprocess.run([binary("maildeliver"), "-d", md, "-m", dirname, "-f",
                        "a@b", "-r", "c@d"], input=b"x\n",
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    assert len(os.listdir(f + "/new")) == 1
    r = maildirmake("-f", name, md)
    assert r.returncode == EX_CANTCREAT


@pytest.mark.parametrize("name", ["a/b", "..", "a..b", "a.", "../x", "",
                                  ".", "x\ty"])
def test_bad_folder_names(workdir, name):
    md = os.path.join(workdir, "Maildir")
    assert maildirmake(md).returncode == 0
    r = maildirmake("-f", name, md)
    assert r.returncode == EX_USAGE, r.stderr
    assert b"bad folder name" in r.stderr
    assert sorted(os.listdir(md)) == ["cur", "new", "tmp"]


def test_folder_needs_maildir(workdir):
    r = maildirmake("-f", "Spam", workdir)
    assert r.returncode == EX_NOINPUT
    assert b"not a Maildir" in r.stderr
    assert os.listdir(workdir) == []


@pytest.mark.parametrize("args", [[], ["a", "b"], ["-x", "a"], ["-f"]])
def test_usage(workdir, args):
    r = subprocess.run([binary("maildirmake")] + args, cwd=workdir,
                       capture_output=True)
    assert r.returncode == EX_USAGE
    assert b"usage: maildirmake" in r.stderr
    assert os.listdir(workdir) == []
