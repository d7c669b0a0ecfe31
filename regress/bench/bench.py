#!/usr/bin/env python3
"""make bench: runs every regress/bench/bench_*.py against one build, in
one run, so that the figures they print can be compared as ratios.  A
benchmark never fails the build: a script that breaks is reported and the
others go on."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    for name in sorted(os.listdir(HERE)):
        if not (name.startswith("bench_") and name.endswith(".py")):
            continue
        print("== %s" % name[len("bench_"):-3], flush=True)
        r = subprocess.run([sys.executable, os.path.join(HERE, name), build])
        if r.returncode != 0:
            print("   (%s exited %d)" % (name, r.returncode), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
