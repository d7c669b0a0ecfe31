"""imapsd's store: messages, flags, UIDs, keywords, the cache, courier's
files, and other processes changing the folder between operations."""

import os
import time

import pytest

from storefix import Tool, maildir, put, files, find


@pytest.fixture
def md(workdir):
    return maildir(os.path.join(workdir, "Maildir"))


@pytest.fixture
def tools(md, workdir):
    made = []

    def make():
        t = Tool(md, workdir)
        made.append(t)
        return t
    yield make
    for t in made:
        assert t.close() == 0, t.log()


@pytest.fixture
def tool(tools):
    return tools()


def select(tool, name="INBOX", ro=False):
    w = tool.ok("examine" if ro else "select", name).first("uidvalidity")
    return {"uidvalidity": int(w[0]), "uidnext": int(w[2]),
            "exists": int(w[4]), "recent": int(w[6])}


def changes(reply):
    c = {"expunged": [(int(a), int(b)) for a, b in reply.words("expunged")],
         "changed": [int(w[0]) for w in reply.words("changed")]}
    w = reply.first("added")
    c.update(added=int(w[0]), exists=int(w[2]), recent=int(w[4]),
             keywords=int(w[6]))
    return c


# --- courier-imap's files, built by hand from their documented formats ---

def courier_folder(md):
    sent = maildir(os.path.join(md, ".Sent"), folder=True)
    b = [put(sent, info=":2,S"), put(sent, info=":2,RS"),
         put(sent, info=":2,"), put(sent, sub="new")]
    with open(os.path.join(sent, "courierimapuiddb"), "w") as f:
        f.write("1 1234567 60\n%d %s:2,S\n%d %s:2,RS\n%d %s\n" % (
            17, b[0], 42, b[1], 50, b[2]))
    kw = os.path.join(sent, "courierimapkeywords")
    os.mkdir(kw)
    with open(os.path.join(kw, ":list"), "w") as f:
        f.write("$Label1\nJunk\nwork\n\n%s:0 2\n%s:1\n" % (b[0], b[1]))
    # update files: b[1]'s keywords are now the highest ".<n>." one's
    updates = {3: "Junk\n", 2: "old\n", 12: "work\nurgent\n"}
    for n, words in updates.items():
        with open(os.path.join(kw, ".%d.%s" % (n, b[1])), "w") as f:
            f.write(words)
    with open(os.path.join(md, "courierimapsubscribed"), "w") as f:
        f.write("INBOX\nINBOX.Sent\n")
    return sent, b


def test_courier_folder_keeps_uids_keywords_subscriptions(tools, md):
    sent, b = courier_folder(md)
    t = tools()
    s = select(t, "Sent")
    assert s["uidvalidity"] == 1234567 and s["uidnext"] == 61
    m = t.msgs()
    assert [(x[1], x[2], x[3]) for x in m] == [
        (17, "S", "$Label1,work"), (42, "RS", "work,urgent"),
        (50, "-", "-"), (60, "r", "-")]
    assert [w[0] for w in t.ok("subs").words("sub")] == ["INBOX", "Sent"]
    assert os.path.exists(os.path.join(sent, "buzon-uidlist"))
    assert os.path.exists(os.path.join(sent, "buzon-keywords"))
    t.ok("close")
    # a second session reads our files, not courier's, and agrees
    with open(os.path.join(sent, "courierimapkeywords", ":list"), "w") as f:
        f.write("garbage\n\n")
    t2 = tools()
    s2 = select(t2, "Sent")
    assert s2["uidvalidity"] == 1234567 and s2["recent"] == 0
    assert [(x[1], x[3]) for x in t2.msgs()] == [
        (17, "$Label1,work"), (42, "work,urgent"), (50, "-"), (60, "-")]


def test_dovecot_folder_adopted(tool, md):
    b = [put(md, info=":2,Sab"), put(md, info=":2,b"), put(md)]
    with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
        f.write("3 V777 N90 Gabcdef0123\n"
                "80 W1234 :%s:2,Sab\n"
                "85 P :%s\n"
                "88 Pold-uidl O3 :%s:2,\n" % tuple(b))
    with open(os.path.join(md, "dovecot-keywords"), "w") as f:
        f.write("0 $Label1\n1 work\n")
    s = select(tool)
    assert s["uidvalidity"] == 777 and s["uidnext"] == 90
    assert [m[1:4] for m in tool.msgs()] == [
        (80, "S", "$Label1,work"), (85, "-", "work"), (88, "-", "-")]
    tool.ok("store", "1", "+", "F")            # the letters stay
    assert find(md, b[0]) == "cur/%s:2,FSab" % b[0]
    assert tool.ok("info", "1").first("size")[0] == "1234"
    with open(os.path.join(md, "buzon-uidlist")) as f:
        lines = f.read().splitlines()
    assert lines[0] == "buzon-uidlist 1 777 90"
    assert lines[2] == "85 %s P%s" % (b[1], b[1])       # empty P: base
    assert lines[3].endswith(" Pold-uidl")


# --- flags ---

def test_flags_round_trip_through_file_names(tool, md):
    b = put(md, info=":2,PS")           # P (passed) is kept untouched
    select(tool)
    tool.ok("store", "1", "+", "FT")
    assert find(md, b) == "cur/%s:2,FPST" % b
    tool.ok("store", "1", "-", "ST")
    assert find(md, b) == "cur/%s:2,FP" % b
    tool.ok("store", "1", "=", "DR")
    assert find(md, b) == "cur/%s:2,DPR" % b
    assert tool.msgs()[0][2] == "DR"
    tool.ok("store", "1", "=", "-")
    assert find(md, b) == "cur/%s:2,P" % b
    tool.ok("close")
    select(tool, ro=True)
    assert tool.cmd("store", "1", "+", "S").err == os.strerror(30)  # EROFS


def test_keywords_persist_and_are_shared(tools, md):
    put(md)
    put(md)
    a, b = tools(), tools()
    select(a)
    select(b)
    a.ok("store", "1,2", "+", "-", "$Forwarded,todo")
    a.ok("store", "2", "-", "-", "todo")
    c = changes(b.ok("sync"))
    assert c["changed"] == [1, 2] and c["keywords"] == 1
    assert [x[3] for x in b.msgs()] == ["$Forwarded,todo", "$Forwarded"]
    b.ok("store", "1", "+", "S", "late")
    c = changes(a.ok("sync"))
    assert c["changed"] == [1]
    assert a.msgs()[0][2:4] == ("S", "$Forwarded,todo,late")
    bad = a.cmd("store", "1", "+", "-", "a(b")
    assert not bad.ok
    with open(os.path.join(md, "buzon-keywords")) as f:
        text = f.read()
    assert text.startswith("buzon-keywords 1\nK $Forwarded\nK todo\nK late\n")


def test_keyword_limit(tool, md):
    put(md)
    select(tool)
    for i in range(64):
        tool.ok("store", "1", "+", "-", "k%d" % i)
    assert tool.cmd("store", "1", "+", "-", "one-too-many").err == \
        os.strerror(28)                                   # ENOSPC


# --- new/, \Recent, UIDs ---

def test_recent_and_new_to_cur(tools, md):
    b1 = put(md, sub="new")
    put(md, sub="new")
    ro = tools()
    s = select(ro, ro=True)
    assert s["exists"] == 2 and s["recent"] == 2
    assert files(md, "cur") == []           # EXAMINE leaves new/ alone
    uids = [m[1] for m in ro.msgs()]
    rw = tools()
    s = select(rw)
    assert s["recent"] == 2 and len(files(md, "new")) == 0
    assert find(md, b1) == "cur/%s:2," % b1
    assert [m[1] for m in rw.msgs()] == uids  # same UIDs from new/ to cur/
    other = tools()
    assert select(other)["recent"] == 0      # the first session had them

    # a delivery: recent for the first session that syncs
    put(md, sub="new")
    c = changes(other.ok("sync"))
    assert c["added"] == 1 and c["recent"] == 1 and c["exists"] == 3
    c = changes(rw.ok("sync"))
    assert c["added"] == 1 and c["recent"] == 2
    assert rw.msgs()[2][1] == uids[1] + 1
    # STATUS leaves \Recent to the next SELECT
    put(md, sub="new")
    st = ro.ok("status", "INBOX").first("status")
    assert st[:6] == ["messages", "4", "recent", "1", "unseen", "4"]
    assert len(files(md, "new")) == 1
    assert changes(rw.ok("sync"))["recent"] == 3


def test_expunge(tool, md):
    bs = [put(md) for _ in range(5)]
    select(tool)
    tool.ok("store", "2,4,5", "+", "T")
    c = changes(tool.ok("expunge", "5"))       # UID EXPUNGE 5 only
    assert c["expunged"] == [(5, 5)] and c["exists"] == 4
    c = changes(tool.ok("expunge"))
    assert c["expunged"] == [(4, 4), (2, 2)]   # highest first
    assert [m[1] for m in tool.msgs()] == [1, 3]
    assert sorted(f.split(":2,")[0] for f in files(md)) == \
        sorted([bs[0], bs[2]])


def test_copy_and_move(tool, md):
    maildir(os.path.join(md, ".Dest"), folder=True)
    dest = os.path.join(md, ".Dest")
    put(dest)
    bs = [put(md, info=":2,S"), put(md, info=":2,F"), put(md)]
    select(tool)
    tool.ok("store", "2", "+", "-", "blue")
    r = tool.ok("copy", "1,2", "Dest")
    uidv, uids = r.first("copyuid")
    assert uids == "2,3"
    assert len(files(md)) == 3 and len(files(dest)) == 3
    src = os.stat(os.path.join(md, find(md, bs[0])))
    copied = [f for f in files(dest) if f.endswith(":2,S")]
    assert len(copied) == 1 and ",S=%d" % src.st_size in copied[0]
    st = os.stat(os.path.join(dest, "cur", copied[0]))
    assert st.st_ino == src.st_ino and st.st_mtime == src.st_mtime  # a link
    r = tool.ok("move", "2,3", "Dest")
    assert r.first("copyuid")[1] == "4,5"
    c = changes(r)
    assert c["expunged"] == [(3, 3), (2, 2)] and c["exists"] == 1
    assert [f.split(":2,")[0] for f in files(md)] == [bs[0]]
    assert select(tool, "Dest")["uidvalidity"] == int(uidv)
    m = tool.msgs()
    assert [x[1] for x in m] == [1, 2, 3, 4, 5]
    assert [x[2] for x in m] == ["-", "S", "F", "F", "-"]
    assert [x[3] for x in m] == ["-", "-", "blue", "blue", "-"]
    assert tool.cmd("copy", "1", "Nope").err == os.strerror(2)
    # a message expunged by another meanwhile is left out: UID 0
    os.unlink(os.path.join(dest, find(dest, m[1][4].split(":2,")[0][4:])))
    r = tool.ok("copy", "1,2,3", "INBOX")
    assert r.first("copyuid")[1] == "4,0,5"


def test_append(tool, md, workdir):
    maildir(os.path.join(md, ".Drafts"), folder=True)
    src = os.path.join(workdir, "msg")
    with open(src, "wb") as f:
        f.write(b"Subject: x\n\nline one\nline two")     # no final LF
    r = tool.ok("append", "Drafts", "DS", "1000000000", src, "draft,$MDNSent")
    uidv, uid = r.first("appenduid")
    assert uid == "1"
    r = tool.ok("append", "Drafts", "-", "-1", src)
    assert r.first("appenduid") == [uidv, "2"]
    d = os.path.join(md, ".Drafts")
    names = files(d)
    assert len(names) == 2 and files(d, "tmp") == []
    first = [n for n in names if n.endswith(":2,DS")][0]
    assert os.stat(os.path.join(d, "cur", first)).st_mtime == 1000000000
    size = len(b"Subject: x\n\nline one\nline two") + 3 + 2
    assert ",W=%d" % size in first
    select(tool, "Drafts")
    assert tool.msgs()[0][2:4] == ("DS", "draft,$MDNSent")
    r = tool.ok("info", "1")
    assert r.first("size") == [str(size), "idate", "1000000000"]
    out = os.path.join(workdir, "out")
    tool.ok("cat", "1", out)
    assert open(out, "rb").read() == open(src, "rb").read()
    assert tool.cmd("append", "Nope", "-", "-1", src).err == os.strerror(2)
    # CR LF already: the size is the file's
    crlf = b"Subject: y\r\n\r\nbody\r\n"
    with open(src, "wb") as f:
        f.write(crlf)
    tool.ok("append", "Drafts", "-", "-1", src)
    assert len([n for n in files(d)
                if ",S=%d,W=%d:" % (len(crlf), len(crlf)) in n]) == 1


# --- other processes between operations ---

def test_others_rename_and_delete(tools, md, workdir):
    bs = [put(md) for _ in range(4)]
    t = tools()
    select(t)
    # another client sets flags (a rename) and expunges (an unlink)
    os.rename(os.path.join(md, "cur", bs[1] + ":2,"),
              os.path.join(md, "cur", bs[1] + ":2,FS"))
    os.unlink(os.path.join(md, "cur", bs[2] + ":2,"))
    out = os.path.join(workdir, "o")
    t.ok("cat", "2", out)                       # found again by base name
    assert t.cmd("cat", "3", out).err == os.strerror(2)
    t.ok("store", "2", "+", "D")                # on the renamed file
    assert find(md, bs[1]) == "cur/%s:2,DFS" % bs[1]
    c = changes(t.ok("sync", "noexpunge"))      # during FETCH/STORE/SEARCH
    assert c["expunged"] == [] and c["exists"] == 4
    assert t.msgs()[2][2] == "g"
    c = changes(t.ok("sync"))
    assert c["expunged"] == [(3, 3)] and c["exists"] == 3
    # a flag change by another is reported, with the new sequence number
    os.rename(os.path.join(md, "cur", bs[3] + ":2,"),
              os.path.join(md, "cur", bs[3] + ":2,T"))
    os.unlink(os.path.join(md, "cur", bs[0] + ":2,"))
    c = changes(t.ok("sync"))
    assert c["expunged"] == [(1, 1)] and c["changed"] == [2]
    # the \Deleted one is undeleted by another before our EXPUNGE
    os.rename(os.path.join(md, "cur", bs[3] + ":2,T"),
              os.path.join(md, "cur", bs[3] + ":2,"))
    c = changes(t.ok("expunge"))
    assert c["expunged"] == [] and find(md, bs[3]) is not None
    # gone under EXPUNGE: counted as expunged, no error
    t.ok("store", "2", "+", "T")
    os.unlink(os.path.join(md, find(md, bs[3])))
    c = changes(t.ok("expunge"))
    assert c["expunged"] == [(2, 4)]


def test_two_sessions(tools, md, workdir):
    put(md)
    a, b = tools(), tools()
    select(a)
    select(b)
    src = os.path.join(workdir, "m")
    with open(src, "wb") as f:
        f.write(b"Subject: s\n\nx\n")
    a.ok("append", "INBOX", "S", "-1", src)
    assert changes(a.ok("sync"))["added"] == 1      # EXISTS after APPEND
    a.ok("store", "1", "+", "F")
    c = changes(b.ok("sync"))
    assert c["added"] == 1 and c["changed"] == [1] and c["exists"] == 2
    b.ok("store", "2", "+", "T")
    b.ok("expunge")
    c = changes(a.ok("sync"))
    assert c["added"] == 0 and c["expunged"] == [(2, 2)]
    assert c["exists"] == 1


def test_uidvalidity_change_is_stale(tool, md):
    put(md)
    select(tool)
    os.unlink(os.path.join(md, "buzon-uidlist"))
    time.sleep(1.1)                 # a new list takes the time as value
    put(md)
    assert tool.cmd("sync").err == os.strerror(116)        # ESTALE


# --- the cache ---

def test_cache_survives_and_garbage_is_ignored(tools, md):
    b = [put(md, body="a\nb\nc\n", mtime=1500000000) for _ in range(3)]
    t = tools()
    select(t)
    size = len(open(os.path.join(md, find(md, b[0])), "rb").read()) + 7
    assert t.ok("info", "1").first("size") == [str(size), "idate",
                                                "1500000000"]
    t.ok("cput", "2", "0", '("env" NIL)')
    t.ok("cput", "2", "3", "(body)")
    t.ok("close")
    cache = os.path.join(md, "buzon-cache")
    good = open(cache, "rb").read()
    t = tools()
    select(t)
    assert t.ok("cget", "2", "0").first("blob") == ['("env"', 'NIL)']
    assert t.no("cget", "1", "0").err == os.strerror(2)
    t.ok("close")

    def spoil(data):
        with open(cache, "wb") as f:
            f.write(data)
        t = tools()
        select(t)
        assert t.no("cget", "2", "0").err == os.strerror(2)
        # sizes and dates are right all the same, then the cache is
        # written anew
        for seq in (1, 2, 3):
            assert t.ok("info", seq).first("size") == [
                str(size), "idate", "1500000000"]
        t.ok("close")
        assert open(cache, "rb").read() != data
        assert "event=cache error=garbled" in t.log()

    spoil(good[:len(good) // 2])                        # truncated
    spoil(good.replace(b"(body)", b"(bodx)"))           # one octet changed
    spoil(b"\x00garbage\n" * 100)
    spoil(good.replace(b"buzon-cache 2", b"buzon-cache 9"))


def test_cache_only_accelerates(tools, md):
    put(md)
    t = tools()
    select(t)
    t.ok("info", "1")
    t.ok("close")
    os.unlink(os.path.join(md, "buzon-cache"))
    t = tools()
    select(t)
    assert t.ok("info", "1").first("size")[0] != "0"


def settle(md):
    """Dates cur/ and new/ back a minute: a folder nobody touched."""
    old = time.time() - 60
    for sub in ("cur", "new"):
        os.utime(os.path.join(md, sub), (old, old))


def snap_line(md):
    with open(os.path.join(md, "buzon-cache"), "rb") as f:
        f.readline()
        return f.readline().decode().rstrip("\n")


def quiet_folder(tools, md):
    """Three messages with flags, a keyword and a blob, read by a session
    after the folder settled: its cache now records that read."""
    bs = [put(md) for _ in range(3)]
    t = tools()
    select(t)
    t.ok("store", "2", "+", "F")
    t.ok("cput", "3", "0", "(env)")
    t.ok("close")
    assert snap_line(md) == "S -"       # cur/ had just changed
    settle(md)
    t = tools()
    select(t)
    want = t.msgs()
    t.ok("close")
    assert snap_line(md) != "S -"
    return bs, want


def test_quiet_folder_opens_from_its_snapshot(tools, md):
    bs, want = quiet_folder(tools, md)
    t = tools()
    assert select(t)["exists"] == 3
    assert t.msgs() == want
    assert t.ok("cget", "3", "0").first("blob") == ["(env)"]
    # The snapshot is what was read: a rename hidden from the mtime of
    # cur/ (no real writer can do that) shows it was used, not a scan.
    t.ok("close")
    cur = os.path.join(md, "cur")
    st = os.stat(cur)
    os.rename(os.path.join(cur, bs[0] + ":2,"),
              os.path.join(cur, bs[0] + ":2,S"))
    os.utime(cur, ns=(st.st_atime_ns, st.st_mtime_ns))
    t = tools()
    select(t)
    assert t.msgs() == want
    # it finds the message again by its base name all the same
    t.ok("cat", "1", os.path.join(os.path.dirname(md), "o"))
    t.ok("close")


def test_any_change_outdates_the_snapshot(tools, md, workdir):
    bs, want = quiet_folder(tools, md)
    # another client's flag change: cur/ moves
    os.rename(os.path.join(md, "cur", bs[0] + ":2,"),
              os.path.join(md, "cur", bs[0] + ":2,S"))
    t = tools()
    select(t)
    assert t.msgs()[0][2] == "S"
    t.ok("close")
    # a delivery: new/ moves; the message is \Recent and numbered
    put(md, sub="new")
    t = tools()
    assert select(t)["recent"] == 1
    assert [m[1] for m in t.msgs()] == [1, 2, 3, 4]
    t.ok("close")
    # an expunge by another
    settle(md)
    t = tools()
    select(t)
    t.ok("close")
    os.unlink(os.path.join(md, find(md, bs[1])))
    t = tools()
    assert select(t)["exists"] == 3
    t.ok("close")
    # the uid list replaced (a new UIDVALIDITY): no stale numbers
    settle(md)
    t = tools()
    select(t)
    assert [m[1] for m in t.msgs()] == [1, 3, 4]
    t.ok("close")
    os.unlink(os.path.join(md, "buzon-uidlist"))
    t = tools()
    select(t)
    assert [m[1] for m in t.msgs()] == [1, 2, 3]
    t.ok("close")


def test_snapshot_keeps_keywords_and_examine(tools, md):
    put(md)
    put(md)
    t = tools()
    select(t)
    t.ok("store", "1", "+", "-", "Junk")
    t.ok("close")
    settle(md)
    t = tools()
    select(t)
    want = t.msgs()
    t.ok("close")
    assert want[0][3] == "Junk"
    t = tools()
    select(t, ro=True)
    assert t.msgs() == want
    t.ok("close")
    # a keyword set by another session is seen, though cur/ kept still
    t = tools()
    select(t)
    t.ok("store", "2", "+", "-", "Junk")
    t.ok("close")
    t = tools()
    select(t)
    assert [m[3] for m in t.msgs()] == ["Junk", "Junk"]
    t.ok("close")


def test_garbled_snapshot_is_ignored(tools, md):
    quiet_folder(tools, md)
    cache = os.path.join(md, "buzon-cache")
    data = open(cache, "rb").read()
    with open(cache, "wb") as f:
        f.write(data.replace(b"\nS ", b"\nS 0", 1))
    t = tools()
    assert select(t)["exists"] == 3
    t.ok("close")
    assert "event=cache error=garbled" in t.log()


# --- a storm of other processes ---

STORM = r'''
import os, random, sys, time
md, seconds = sys.argv[1], float(sys.argv[2])
random.seed(7)
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    n += 1
    cur = os.listdir(os.path.join(md, "cur"))
    act = random.random()
    try:
        if act < 0.3:
            name = "%d.M%dP99Q%d.storm" % (1700000500, n, n)
            with open(os.path.join(md, "tmp", name), "w") as f:
                f.write("Subject: storm %d\n\nx\n" % n)
            os.rename(os.path.join(md, "tmp", name),
                      os.path.join(md, "new", name))
        elif cur and act < 0.7:
            f = random.choice(cur)
            base = f.split(":2,")[0]
            flags = "".join(sorted(random.sample("DFRST", 2)))
            os.rename(os.path.join(md, "cur", f),
                      os.path.join(md, "cur", base + ":2," + flags))
        elif cur:
            os.unlink(os.path.join(md, "cur", random.choice(cur)))
    except FileNotFoundError:
        pass
    time.sleep(0.001)
'''


def test_storm_of_renames_and_unlinks(tools, md, workdir):
    import subprocess
    import sys
    for _ in range(40):
        put(md)
    t = tools()
    select(t)
    storm = subprocess.Popen([sys.executable, "-c", STORM, md, "3"])
    out = os.path.join(workdir, "o")
    try:
        deadline = time.monotonic() + 3
        i = 0
        while time.monotonic() < deadline:
            i += 1
            n = len(t.msgs())
            if n:
                seq = 1 + i % n
                t.cmd("store", seq, "+" if i % 2 else "-", "S")
                t.cmd("cat", seq, out)
                t.cmd("info", seq)
                t.cmd("copy", seq, "INBOX")
            t.ok("sync", "noexpunge" if i % 3 == 0 else "")
            if i % 5 == 0:
                t.cmd("store", "1", "+", "T")
                t.cmd("expunge")
    finally:
        assert storm.wait(timeout=30) == 0
    time.sleep(2.1)                     # past STORE_RECENT_SECS
    t.ok("sync")
    mine = {(m[4].split(":2,")[0][4:], m[2].replace("r", "") or "-")
            for m in t.msgs()}
    disk = set()
    for f in files(md):
        base, _, fl = f.partition(":2,")
        disk.add((base, "".join(c for c in fl if c in "DFRST") or "-"))
    assert mine == disk
    uids = [m[1] for m in t.msgs()]
    assert uids == sorted(set(uids))
