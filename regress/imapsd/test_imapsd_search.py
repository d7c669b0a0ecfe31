"""SEARCH and UID SEARCH: every key of RFC 3501 6.4.4 on a folder whose
messages, flags and dates are known, decoded header and body text, the
charsets, and bad search programs, each with its reply."""

import os
import time

import pytest

import buzontest
from imapfix import Site

DAY = 86400
T0 = 1700000000                      # 14-Nov-2023, the internal dates


MSGS = [
    # (header fields, body, flags, internal date offset in days)
    ("From: Ana <ana@example.org>\nTo: bob@example.org\n"
     "Subject: Hello there\nDate: Tue, 14 Nov 2023 10:00:00 +0000\n",
     "plain body with needle\n", "S", 0),
    ("From: =?UTF-8?Q?Jos=C3=A9?= <jose@example.es>\nTo: ana@example.org\n"
     "Cc: cyd@example.org\nSubject: =?ISO-8859-1?Q?Caf=E9?= tonight\n"
     "Date: Wed, 15 Nov 2023 10:00:00 +0000\nX-Tag: alpha\n",
     "nothing here\n", "F", 1),
    ("From: bob@example.org\nTo: ana@example.org\nSubject: report\n"
     "Date: Thu, 16 Nov 2023 10:00:00 +0000\n"
     "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
     "Content-Transfer-Encoding: base64\n",
     "w5xiZXJncsO2w59lIE7DpGhl\n", "ST", 2),       # "Übergröße Nähe"
    ("From: dan@example.net\nTo: ana@example.org\nSubject: big one\n",
     "x" * 20000 + "\n", "", 3),
]


@pytest.fixture
def site(workdir, cert):
    s = Site(workdir, cert, conf="max_errors 100\n")
    with s:
        for i, (head, body, flags, days) in enumerate(MSGS):
            name = "%d.M%dP1Q%d.test" % (T0 + i, i, i)
            s.put((head + "\n" + body).encode(), sub="cur", name=name,
                  info=":2," + flags)
            path = os.path.join(s.maildir(), "cur", name + ":2," + flags)
            os.utime(path, (T0 + days * DAY, T0 + days * DAY))
        yield s


def search(c, *keys, uid=False):
    if uid:
        typ, data = c.uid("SEARCH", *keys)
    else:
        typ, data = c.search(None, *keys)
    assert typ == "OK", data
    return [int(x) for x in data[0].split()]


def test_flags_sizes_dates_and_sets(site):
    c = site.login()
    c.select("INBOX")
    assert search(c, "ALL") == [1, 2, 3, 4]
    assert search(c, "SEEN") == [1, 3]
    assert search(c, "UNSEEN") == [2, 4]
    assert search(c, "FLAGGED") == [2]
    assert search(c, "DELETED") == [3]
    assert search(c, "UNDELETED", "UNSEEN") == [2, 4]
    assert search(c, "LARGER", "10000") == [4]
    assert search(c, "SMALLER", "10000") == [1, 2, 3]
    assert search(c, "2:3") == [2, 3]
    assert search(c, "*") == [4]
    assert search(c, "NOT", "2:3") == [1, 4]
    assert search(c, "OR", "SEEN", "FLAGGED") == [1, 2, 3]
    assert search(c, "(OR", "1", "4)", "UNSEEN") == [4]
    # Message 4 has no Date: its internal date (17 Nov) stands in.
    assert search(c, "SENTSINCE", "15-Nov-2023") == [2, 3, 4]
    assert search(c, "SENTBEFORE", "15-Nov-2023") == [1]
    assert search(c, "SENTON", "16-Nov-2023") == [3]
    ts = time.localtime(T0 + 2 * DAY)
    on = time.strftime("%d-%b-%Y", ts)
    assert search(c, "ON", on) == [3]
    assert search(c, "SINCE", on) == [3, 4]
    assert search(c, "BEFORE", on) == [1, 2]
    assert search(c, "KEYWORD", "nosuch") == []
    assert search(c, "UNKEYWORD", "nosuch") == [1, 2, 3, 4]
    uids = search(c, "ALL", uid=True)
    assert len(uids) == 4 and uids == sorted(uids)
    assert search(c, "UID", "%d:%d" % (uids[1], uids[2])) == [2, 3]
    assert search(c, "SEEN", uid=True) == [uids[0], uids[2]]
    c.logout()


def test_text_keys_decoded(site):
    c = site.login()
    c.select("INBOX")
    assert search(c, "FROM", "ana@") == [1]
    assert search(c, "FROM", "ANA") == [1]            # case-insensitive
    assert search(c, "TO", "ana@example.org") == [2, 3, 4]
    assert search(c, "CC", "cyd") == [2]
    assert search(c, "BCC", "anyone") == []
    assert search(c, "SUBJECT", "hello") == [1]
    assert search(c, "HEADER", "X-Tag", "alph") == [2]
    assert search(c, "HEADER", "X-Tag", '""') == [2]  # the field exists
    assert search(c, "BODY", "needle") == [1]
    assert search(c, "TEXT", "needle") == [1]
    assert search(c, "TEXT", "report") == [3]         # header counts
    c.literal = "José".encode()
    assert search(c, "CHARSET", "UTF-8", "FROM") == [2]
    c.literal = "CAFÉ".encode()
    assert search(c, "CHARSET", "UTF-8", "SUBJECT") == [2]
    c.literal = "übergröße".encode()                  # base64 body
    assert search(c, "CHARSET", "UTF-8", "BODY") == [3]
    c.logout()


def test_bad_search_programs(site):
    r = site.raw()
    r.line()
    assert r.cmd("a SEARCH ALL") == b"a BAD SEARCH is not valid before login"
    assert r.cmd("b LOGIN ana ana-pw").startswith(b"b OK")
    assert r.cmd("c SEARCH ALL") == b"c BAD SEARCH is not valid in this state"
    r.cmd("d SELECT INBOX")
    while not r.line().startswith(b"d OK"):
        pass
    cases = [
        ("e SEARCH", b"e BAD search key expected"),
        ("f SEARCH FROBNICATE", b"f BAD unknown search key"),
        ("g SEARCH FROM", b"g BAD search text expected"),
        ("h SEARCH BEFORE 31-Foo-2020", b"h BAD bad date: want dd-Mon-yyyy"),
        ("i SEARCH LARGER x", b"i BAD number expected"),
        ("j SEARCH 0:3", b"j BAD bad sequence set"),
        ("k SEARCH OR SEEN", b"k BAD search key expected"),
        ("l SEARCH ()", b"l BAD empty parenthesised search key"),
        ("m SEARCH CHARSET KOI8-R ALL",
         b"m NO [BADCHARSET (US-ASCII UTF-8)] unsupported charset"),
        ("n SEARCH " + " ".join(["SEEN"] * 300),
         b"n BAD search program too large"),
        ("o SEARCH HEADER \"a:b\" x", b"o BAD bad header field name"),
        # sscanf would have taken a sign, blanks or a short year
        ("q SEARCH SINCE +1-Jan-2020", b"q BAD bad date: want dd-Mon-yyyy"),
        ('r SEARCH SINCE " 1-Jan-2020"', b"r BAD bad date: want dd-Mon-yyyy"),
        ("s SEARCH SINCE 1-Jan-20", b"s BAD bad date: want dd-Mon-yyyy"),
        ("t SEARCH SINCE 1-Janx2020", b"t BAD bad date: want dd-Mon-yyyy"),
        ("u SEARCH SINCE 32-Jan-2020", b"u BAD bad date: want dd-Mon-yyyy"),
    ]
    for line, want in cases:
        assert r.cmd(line) == want
    assert r.cmd("p SEARCH UNSEEN") == b"* SEARCH 2 4"
    assert r.line() == b"p OK SEARCH completed"
    assert r.cmd("v SEARCH SINCE 01-Jan-2000 BEFORE 1-jan-2100") == \
        b"* SEARCH 1 2 3 4"
    assert r.line() == b"v OK SEARCH completed"


def test_header_fields_cached(site):
    """A search on From and friends keeps their lines in the folder's
    cache: the next one reads no message file, and a message whose file
    changed underneath (never in a Maildir) shows it."""
    c = site.login()
    c.select("INBOX")
    assert search(c, "FROM", "ana@") == [1]
    c.logout()
    # The session writes the cache as it closes, after its LOGOUT answer.
    path = os.path.join(site.maildir(), "buzon-cache")
    buzontest.wait_for(lambda: os.path.exists(path), 10, "buzon-cache")
    cache = open(path, "rb").read()
    assert b"From: Ana <ana@example.org>\n" in cache
    assert b"X-Tag" not in cache            # only the searched fields
    # Scramble message 1's From on disk: the cached lines still answer.
    path = [os.path.join(site.maildir(), "cur", n)
            for n in os.listdir(os.path.join(site.maildir(), "cur"))
            if n.startswith("%d." % T0)][0]
    data = open(path, "rb").read().replace(b"ana@example.org>",
                                           b"zed@example.org>", 1)
    open(path, "wb").write(data)
    c = site.login()
    c.select("INBOX")
    assert search(c, "FROM", "ana@") == [1]
    # A field outside the cached set is read from the file.
    assert search(c, "HEADER", "X-Tag", "alpha") == [2]
    c.logout()
