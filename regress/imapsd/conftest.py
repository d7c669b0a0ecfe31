"""Fixtures every imapsd test module shares: one certificate for the
session (openssl is slow and no test looks into it) and a running site
with the default configuration."""

import pytest

from imapfix import Site, make_cert


@pytest.fixture(scope="session")
def cert(tmp_path_factory):
    return make_cert(str(tmp_path_factory.mktemp("cert")))


@pytest.fixture
def site(workdir, cert):
    s = Site(workdir, cert)
    with s:
        yield s
