"""The envelope parser against golden files: envelopes/<case>.env is put
into a queue before mailqueue starts; <case>.expected holds "ok" (the
message is loaded and listed as written) or the reason of the
event=bad-envelope line."""

import glob
import os
import shutil
import tempfile

import pytest

from queuewire import Mailqueue

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "envelopes")
CASES = sorted(os.path.basename(p)[:-4] for p in
               glob.glob(os.path.join(HERE, "*.env")))


def read(case, ext):
    with open(os.path.join(HERE, case + ext), "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def loaded():
    """One queue holding every case; the log and listing after start."""
    workdir = tempfile.mkdtemp(prefix="buzon-t-")
    os.chmod(workdir, 0o755)
    q = Mailqueue(workdir, conf="retry_min 1h\nretry_max 1h\n")
    with q:         # makes the directories
        q.stop_queue()
        for case in CASES:
            qid = case.upper()
            with open(os.path.join(q.qdir, "env", qid), "wb") as f:
                f.write(read(case, ".env"))
            with open(os.path.join(q.qdir, "msg", qid), "wb") as f:
                f.write(b"Subject: x\r\n\r\nbody\r\n")
        q.start_queue()
        c = q.connect()
        listing = {e["id"]: (e, r) for e, r in c.list()}
        c.close()
        log = q.log()
    yield log, listing
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.parametrize("case", CASES)
def test_envelope(loaded, case):
    log, listing = loaded
    qid = case.upper()
    expected = read(case, ".expected").decode().strip()
    text = read(case, ".env").decode("latin-1")
    if expected == "ok":
        assert "queue id=%s event=bad-envelope" % qid not in log
        entry, rcpts = listing[qid]
        assert entry["size"] == 20 and entry["created"] == 1795243748
        wanted = [line.split(" ", 4) for line in text.splitlines()
                  if line.startswith("rcpt ")]
        assert [(r["state"], "<%s>" % r["rcpt"]) for r in rcpts] == \
            [(w[1], w[4]) for w in wanted]
    else:
        assert ('queue id=%s event=bad-envelope reason="%s"' %
                (qid, expected)) in log
        assert qid not in listing
