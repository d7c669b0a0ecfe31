"""fetchmail against pop3sd over POP3S and STLS, checking the test
certificate (issue #4: a user's fetchmail works on the Maildir as it did
under courier-pop3d): byte-exact messages through an MDA, keep mode with
UIDL fetching only new messages, and no-keep mode emptying the Maildir.
The tests skip when fetchmail is not installed; mk/deps installs it."""

import os

import pytest

import clientfix
from clientfix import need
from pop3fix import Site, USERS

PASSWORD = USERS["ana"][0]

# As a delivery agent leaves them: LF line ends, lines that POP3 must
# dot-stuff, 8-bit UTF-8, and one message larger than any read buffer.
MSGS = [
    b"From: bob@example.com\nTo: ana@example.org\nSubject: plain\n\nhi\n",
    b"From: bob@example.com\nSubject: dots\n\n.leading dot\n..two dots\n"
    b".\n.\r\nFrom the start of a line\n",
    "From: bob@example.com\nSubject: utf8\n"
    "Content-Type: text/plain; charset=utf-8\n\ncafé, 日本語\n".encode(),
    b"From: bob@example.com\nSubject: big\n\n" +
    b"".join(b"line %06d %s\n" % (i, b"y" * 64) for i in range(6000)),
]


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """The certificate, naming the host: fetchmail checks it."""
    return clientfix.make_cert(str(tmp_path_factory.mktemp("cert")))


@pytest.fixture
def site(workdir, cert):
    s = Site(workdir, cert)
    for m in MSGS:
        s.put(m)
    with s:
        yield s


def fetchmail(site, workdir, keep):
    need("fetchmail")
    return clientfix.Fetchmail(workdir, site.cert[0], "POP3", site.pop3s,
                               "ana", PASSWORD, keep=keep, uidl=keep)


def maildir_files(site):
    md = site.maildir()
    return sorted(os.listdir(os.path.join(md, "new")) +
                  os.listdir(os.path.join(md, "cur")))


def retrieved(fm):
    """The last run's commands that fetched a message: RETR, or TOP
    with a huge line count, which fetchmail uses in keep mode."""
    return [c for c in fm.commands() if c.startswith(("RETR", "TOP"))]


def server_uidls(site):
    c = site.login()
    _, lines, _ = c.uidl()
    c.quit()
    return sorted(line.split()[1].decode() for line in lines)


def test_fetchmail_pop3s_uidl_keep_fetches_only_new(site, workdir):
    fm = fetchmail(site, workdir, keep=True)
    rc, got = fm.run()
    assert rc == clientfix.FETCHMAIL_GOT_MAIL, fm.log
    # byte for byte, but for the one CR LF fetchmail turns into LF
    assert got == sorted(clientfix.lf(m) for m in MSGS)
    assert len(retrieved(fm)) == len(MSGS)
    assert not [c for c in fm.commands() if c.startswith("DELE")]
    assert len(maildir_files(site)) == len(MSGS)
    # fetchmail keeps pop3sd's UIDLs to know what it has seen
    uidls = server_uidls(site)
    with open(fm.ids) as f:
        ids = f.read()
    for u in uidls:
        assert " %s\n" % u in ids or " %s " % u in ids, (u, ids)
    assert fm.run() == (clientfix.FETCHMAIL_NO_MAIL, [])
    assert retrieved(fm) == []
    late = b"From: bob@example.com\nSubject: late\n\nnew one\n"
    site.put(late)
    rc, got = fm.run()
    assert rc == clientfix.FETCHMAIL_GOT_MAIL
    assert got == [late]
    assert retrieved(fm) == ["TOP %d 99999999" % (len(MSGS) + 1)], fm.log
    assert len(maildir_files(site)) == len(MSGS) + 1


def test_fetchmail_pop3s_no_keep_empties_the_maildir(site, workdir):
    fm = fetchmail(site, workdir, keep=False)
    rc, got = fm.run()
    assert rc == clientfix.FETCHMAIL_GOT_MAIL, fm.log
    assert got == sorted(clientfix.lf(m) for m in MSGS)
    assert len([c for c in fm.commands() if c.startswith("DELE")]) == \
        len(MSGS)
    assert maildir_files(site) == []
    assert fm.run() == (clientfix.FETCHMAIL_NO_MAIL, [])


def test_fetchmail_stls_on_the_plain_port(site, workdir):
    """fetchmail told to require TLS upgrades with STLS, checks the
    certificate, and only then sends the password."""
    need("fetchmail")
    fm = clientfix.Fetchmail(workdir, site.cert[0], "POP3", site.pop3,
                             "ana", PASSWORD, keep=False, starttls=True)
    rc, got = fm.run()
    assert rc == clientfix.FETCHMAIL_GOT_MAIL, fm.log
    assert got == sorted(clientfix.lf(m) for m in MSGS)
    cmds = fm.commands()
    assert cmds.index("STLS") < cmds.index("USER ana"), fm.log
    assert "upgrade to TLS succeeded" in fm.log
    assert maildir_files(site) == []
