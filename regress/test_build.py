"""The build itself: BSD make builds the tree and installs it with DESTDIR
and PREFIX; every manual page is clean under mandoc -T lint."""

import os
import shutil
import subprocess

import pytest

import buzontest

INSTALLED = {
    "sbin/authd": 0o755, "sbin/authtest": 0o755, "bin/maildirmake": 0o755,
    "libexec/maildeliver": 0o755, "sbin/smtpd-lite": 0o755,
    "sbin/mailqueue": 0o755, "sbin/sendmail": 0o755, "sbin/pop3sd": 0o755,
}
PAGES = ["authd/authd.8", "authd/authd.conf.5", "authd/authtest.8",
         "maildeliver/maildeliver.8", "maildeliver/maildirmake.1",
         "smtpd-lite/smtpd-lite.8", "smtpd-lite/smtpd-lite.conf.5",
         "smtpd-lite/mailqueue.8", "smtpd-lite/mailqueue.conf.5",
         "smtpd-lite/sendmail.8", "smtpd-lite/mailq.1",
         "pop3sd/pop3sd.8", "pop3sd/pop3sd.conf.5"]


def manpages():
    found = []
    for top, dirs, files in os.walk(buzontest.ROOT):
        dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
        for f in files:
            if f[-2:] in (".1", ".5", ".8"):
                found.append(os.path.relpath(os.path.join(top, f),
                                             buzontest.ROOT))
    return sorted(found)


@pytest.mark.skipif(shutil.which("bmake") is None, reason="bmake missing")
def test_bmake_build_and_install(workdir):
    obj = os.path.join(workdir, "obj")
    dest = os.path.join(workdir, "dest")
    r = subprocess.run(["bmake", "OBJDIR=" + obj, "DESTDIR=" + dest,
                        "PREFIX=/opt/buzon", "all", "install"],
                       cwd=buzontest.ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    for path, mode in INSTALLED.items():
        st = os.stat(os.path.join(dest, "opt/buzon", path))
        assert st.st_mode & 0o777 == mode, path
    assert os.readlink(os.path.join(dest, "opt/buzon/bin/mailq")) == \
        "/opt/buzon/sbin/sendmail"
    mandir = "share/man" if os.uname().sysname == "Linux" else "man"
    for page in PAGES:
        section = page[-1]
        assert os.path.exists(os.path.join(
            dest, "opt/buzon", mandir, "man" + section,
            os.path.basename(page)))


def test_every_program_has_its_page():
    assert set(PAGES) <= set(manpages())


@pytest.mark.skipif(shutil.which("mandoc") is None, reason="mandoc missing")
@pytest.mark.parametrize("page", manpages())
def test_manpage_lint(page):
    r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", page],
                       cwd=buzontest.ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", \
        r.stdout + r.stderr


def fake_bin(workdir, name, script):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + script)
    os.chmod(path, 0o755)


def run_deps(workdir):
    """mk/deps with the fake commands of workdir first on PATH."""
    env = dict(os.environ, PATH=workdir + ":" + os.environ["PATH"])
    return subprocess.run(["sh", "mk/deps"], cwd=buzontest.ROOT, env=env,
                          capture_output=True, text=True, timeout=30)


@pytest.mark.skipif(os.uname().sysname != "Linux", reason="Debian only")
def test_deps_prints_command_when_not_root(workdir):
    """mk/deps names exactly the missing packages in an apt-get line."""
    fake_bin(workdir, "dpkg-query",
             'for p; do :; done\n'       # the package is the last word
             'case "$p" in\n'
             'slapd|bmake) echo "unknown ok not-installed" ;;\n'
             '*) echo "install ok installed" ;;\n'
             'esac\n')
    fake_bin(workdir, "id", "echo 1000\n")
    r = run_deps(workdir)
    assert r.returncode == 0
    assert "apt-get install -y bmake slapd" in r.stdout, r.stdout


@pytest.mark.skipif(os.uname().sysname != "Linux", reason="Debian only")
def test_deps_silent_when_complete(workdir):
    fake_bin(workdir, "dpkg-query", 'echo "install ok installed"\n')
    r = run_deps(workdir)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
