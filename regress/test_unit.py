"""Runs the C unit tests of lib (regress/lib/test_*.c)."""

import os
import subprocess

import pytest

import buzontest

UNITS = sorted(f[len("test_"):-2] for f in os.listdir(
    os.path.join(buzontest.ROOT, "regress", "lib"))
    if f.startswith("test_") and f.endswith(".c"))


@pytest.mark.parametrize("unit", UNITS)
def test_unit(unit, workdir):
    prog = os.path.join(buzontest.BIN, "regress", "test_" + unit)
    r = subprocess.run([prog], cwd=os.path.join(buzontest.ROOT, "regress",
                                                 "lib"),
                       env=dict(os.environ, TMPDIR=workdir),
                       capture_output=True, text=True, timeout=120)
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    assert r.returncode == 0 and last.endswith(" 0 failed"), \
        "%s\n%s" % (r.stdout, r.stderr)
