"""imapsd's store: Maildir++ folders, names, subscriptions, SPECIAL-USE."""

import os

import pytest

from storefix import Tool, maildir, put, files


@pytest.fixture
def md(workdir):
    return maildir(os.path.join(workdir, "Maildir"))


@pytest.fixture
def tool(md, workdir):
    t = Tool(md, workdir)
    yield t
    assert t.close() == 0


def listing(tool):
    r = tool.ok("list")
    out = {}
    for ln in r.lines:
        w = ln.split()
        if w[0] == "folder":
            out[w[1]] = set(w[2:])
    return out


def test_create_list_children_noselect(tool, md):
    tool.ok("create", "Sent")
    tool.ok("create", "a.b.c")
    # parents are made as folders, as CREATE in RFC 3501 allows
    for d in (".Sent", ".a", ".a.b", ".a.b.c"):
        assert os.path.isfile(os.path.join(md, d, "maildirfolder"))
        for sub in ("tmp", "new", "cur"):
            assert os.path.isdir(os.path.join(md, d, sub))
    assert tool.cmd("create", "Sent").err == os.strerror(17)   # EEXIST
    assert not tool.cmd("create", "INBOX").ok
    # a child without its parent on disk: the parent is \Noselect
    maildir(os.path.join(md, ".x.y"), folder=True)
    l = listing(tool)
    assert l["INBOX"] == {"\\HasNoChildren"}
    assert l["a"] == {"\\HasChildren"}
    assert l["a.b.c"] == {"\\HasNoChildren"}
    assert l["x"] == {"\\Noselect", "\\HasChildren"}
    assert l["x.y"] == {"\\HasNoChildren"}
    assert list(l)[0] == "INBOX"
    # names that sort between a parent and its child
    for n in ("Work", "Work-old", "Work+x", "Work.y"):
        tool.ok("create", n)
    l = listing(tool)
    assert l["Work"] == {"\\HasChildren"}
    assert l["Work-old"] == l["Work+x"] == {"\\HasNoChildren"}


def test_special_use(tool, md):
    for n in ("Sent", "Trash", "Drafts", "Junk", "Spam", "Archive", "Other",
              "Lists.Sent"):
        tool.ok("create", n)
    r = tool.ok("list")
    sp = {w[0]: w[1] for w in r.words("special")}
    assert sp == {"Sent": "\\Sent", "Trash": "\\Trash", "Drafts": "\\Drafts",
                  "Junk": "\\Junk", "Spam": "\\Junk", "Archive": "\\Archive"}


def test_utf8_names_are_mutf7_on_disk(tool, md):
    tool.ok("create", "Entwürfe")
    tool.ok("create", "a&b")
    assert os.path.isdir(os.path.join(md, ".Entw&APw-rfe"))
    assert os.path.isdir(os.path.join(md, ".a&-b"))
    l = listing(tool)
    assert "Entwürfe" in l and "a&b" in l
    # courier-imap 5 (after --convutf8) names directories in UTF-8
    maildir(os.path.join(md, ".Réponses"), folder=True)
    assert "Réponses" in listing(tool)
    tool.ok("select", "Réponses")
    tool.ok("close")


@pytest.mark.parametrize("name", [
    "", ".", "..", ".a", "a.", "a..b", "a/b", "../x", "a/../b", "/etc",
    "a\x01b", "a\tb", "a\x7fb", "a\nb", "a\u0085b", "INBOX.x", "inbox.y",
    "x" * 401, ".".join(["a"] * 17), b"\xff\xfe", b"a\xc3",
])
def test_bad_names_refused(tool, md, name):
    before = sorted(os.listdir(md))
    tool.no("valid", name)
    tool.no("create", name)
    tool.no("select", name)
    tool.no("delete", name)
    tool.no("rename", "INBOX", name)
    tool.no("append", name, "-", "-1", "/dev/null")
    assert sorted(os.listdir(md)) == before


def test_good_names(tool):
    for n in ("INBOX", "inbox", "a", "a.b", "x" * 100, "Ünïcödé.日本語",
              "with space", ".".join(["a"] * 16)):
        tool.ok("valid", n)


def test_delete(tool, md):
    tool.ok("create", "a.b")
    put(os.path.join(md, ".a"))
    tool.ok("delete", "a")
    assert not os.path.exists(os.path.join(md, ".a"))
    assert os.path.isdir(os.path.join(md, ".a.b"))
    l = listing(tool)
    assert l["a"] == {"\\Noselect", "\\HasChildren"}
    assert tool.cmd("delete", "a").err == os.strerror(2)        # ENOENT
    assert tool.cmd("delete", "INBOX").err == os.strerror(1)    # EPERM
    assert tool.cmd("delete", "nope").err == os.strerror(2)
    assert files(md, "tmp") == []       # nothing left behind


def test_rename_moves_children(tool, md):
    tool.ok("create", "a.b.c")
    base = put(os.path.join(md, ".a.b"))
    tool.ok("create", "ab")
    tool.ok("rename", "a", "z.y")
    assert not os.path.exists(os.path.join(md, ".a"))
    assert not os.path.exists(os.path.join(md, ".a.b"))
    assert os.path.isdir(os.path.join(md, ".ab"))      # not a child of a
    for d in (".z", ".z.y", ".z.y.b", ".z.y.b.c"):
        assert os.path.isdir(os.path.join(md, d)), d
    assert [f.split(":2,")[0] for f in files(os.path.join(md, ".z.y.b"))] \
        == [base]
    assert tool.cmd("rename", "z", "ab").err == os.strerror(17)
    assert tool.cmd("rename", "z", "z.q").err == os.strerror(22)
    assert tool.cmd("rename", "nope", "q").err == os.strerror(2)
    assert tool.cmd("rename", "z", "INBOX").err == os.strerror(17)


def test_rename_inbox(tool, md):
    b1 = put(md)
    b2 = put(md, sub="new")
    tool.ok("create", "Sub")
    tool.ok("rename", "INBOX", "Old")
    assert files(md, "cur") == [] and files(md, "new") == []
    moved = files(os.path.join(md, ".Old")) + \
        files(os.path.join(md, ".Old"), "new")
    assert sorted(f.split(":2,")[0] for f in moved) == sorted([b1, b2])
    assert os.path.isdir(os.path.join(md, ".Sub"))     # children stay
    r = tool.ok("select", "INBOX")
    assert r.first("uidvalidity")[4] == "0"            # exists 0
    tool.ok("select", "Old")
    assert len(tool.msgs()) == 2


def test_subscriptions_courier_file(tool, md):
    """Courier's file as it is; a line too long for a name is passed
    over whole, never read as a name from where it was cut."""
    with open(os.path.join(md, "courierimapsubscribed"), "w") as f:
        f.write("INBOX\nINBOX.Sent\nINBOX.Entw&APw-rfe\nINBOX.a..b\n"
                "INBOX." + "x" * 1018 + "INBOX.Cut\n"
                "INBOX.Lists.buzon\n")
    r = tool.ok("subs")
    assert [w[0] for w in r.words("sub")] == \
        ["INBOX", "Sent", "Entwürfe", "Lists.buzon"]
    tool.ok("unsub", "Sent")
    tool.ok("sub", "Trash")
    tool.ok("sub", "Trash")
    tool.ok("sub", "Ärger")
    with open(os.path.join(md, "courierimapsubscribed")) as f:
        assert f.read().splitlines() == [
            "INBOX", "INBOX.Entw&APw-rfe", "INBOX.Lists.buzon", "INBOX.Trash",
            "INBOX.&AMQ-rger"]
    tool.no("sub", "a..b")
    tool.no("sub", "a/b")
