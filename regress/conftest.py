"""Shared fixtures: where the binaries are, sanitizer reports, daemons."""

import os
import shutil
import tempfile

import pytest

import buzontest


@pytest.fixture(autouse=True)
def sanitizer_clean():
    """Fails the test during which a started program wrote a sanitizer
    report; the report is moved aside so it is counted once."""
    before = buzontest.sanitizer_reports()
    yield
    new = [r for r in buzontest.sanitizer_reports() if r not in before]
    if new:
        pytest.fail("sanitizer report(s):\n" + buzontest.claim_reports(new),
                    pytrace=False)


@pytest.fixture
def workdir():
    """A fresh directory that any uid may enter, removed afterwards."""
    d = tempfile.mkdtemp(prefix="buzon-t-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)
