"""Fixtures every pop3sd test module shares."""

import pytest

from pop3fix import make_cert


@pytest.fixture(scope="session")
def cert(tmp_path_factory):
    """One self-signed certificate for all of them: openssl is slow, and
    no test looks into it."""
    return make_cert(str(tmp_path_factory.mktemp("cert")))
