"""The whole mail path for end-to-end tests: mk/demo.py's set-up (the
same configuration `make demo` writes) run from the test build on free
loopback ports in a temporary directory."""

import os
import random
import sys

import buzontest

sys.path.insert(0, os.path.join(buzontest.ROOT, "mk"))
import demo  # noqa: E402


def free_base():
    """A DEMO_PORT whose derived ports are all free now; never the
    demo's own 10000, which a running `make demo` may hold."""
    top = max(demo.PORTS.values())
    for _ in range(200):
        base = random.randrange(buzontest.PORT_LOW,
                                buzontest.PORT_HIGH - top, 1000)
        if buzontest.claim_ports([base + off for off in demo.PORTS.values()]):
            return base
    raise RuntimeError("no free port range")


class Suite(demo.Demo):
    def __init__(self, workdir, nusers=0):
        os.environ["DEMO_DIR"] = os.path.join(workdir, "demo")
        os.environ["DEMO_PORT"] = str(free_base())
        os.environ["DEMO_USERS"] = str(nusers)
        try:
            super().__init__(buzontest.BIN)
        finally:
            for k in ("DEMO_DIR", "DEMO_PORT", "DEMO_USERS"):
                del os.environ[k]

    def start_all(self):
        self.setup()
        self.start(False)
        return self

    def restart(self, name):
        self.procs.pop(name, None)
        self.start_one(name)

    def maildir(self, user="demo"):
        return self.path("mail", user, "Maildir")

    def messages(self, user="demo"):
        return buzontest.maildir_messages(self.maildir(user))

    def log(self, name):
        with open(self.path("log", name + ".log"), errors="replace") as f:
            return f.read()
