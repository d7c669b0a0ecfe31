#!/usr/bin/env python3
"""Runs the whole suite against one build directory.

    regress/run.py BUILDDIR [pytest arguments...]

With test paths among the arguments only those run.

Every program the tests start writes its sanitizer reports into one
directory; a report found after the run that no test claimed counts as a
failure of its own.  The last line printed is "N passed, N failed".
"""

import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def counts(junit):
    tests = failed = skipped = 0
    for suite in ET.parse(junit).getroot().iter("testsuite"):
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests - failed - skipped, failed, skipped


def stray_reports(sanlog):
    found = []
    for name in sorted(os.listdir(sanlog)):
        path = os.path.join(sanlog, name)
        if os.path.isfile(path):
            with open(path, errors="replace") as f:
                sys.stdout.write("sanitizer report %s:\n%s\n" % (name, f.read()))
            found.append(name)
    return found


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: run.py BUILDDIR [pytest arguments...]")
    work = tempfile.mkdtemp(prefix="buzon-check-")
    sanlog = os.path.join(work, "sanitizer")
    os.mkdir(sanlog)
    os.chmod(sanlog, 0o1777)
    os.chmod(work, 0o755)
    env = dict(os.environ)
    env["BUZON_BIN"] = os.path.abspath(sys.argv[1])
    env["BUZON_SANLOG"] = sanlog
    env["ASAN_OPTIONS"] = ("log_path=%s/asan:detect_leaks=1:"
                           "abort_on_error=0:strict_string_checks=1" % sanlog)
    env["UBSAN_OPTIONS"] = ("log_path=%s/ubsan:print_stacktrace=1:"
                            "halt_on_error=1" % sanlog)
    junit = os.path.join(work, "junit.xml")
    cmd = [sys.executable, "-m", "pytest", "-q", "-rs", "-p",
           "no:cacheprovider", "--timeout=300", "--junitxml=" + junit]
    extra = sys.argv[2:]
    # Paths among the arguments narrow the run; without any, all of regress.
    if not any(not a.startswith("-") for a in extra):
        cmd.append("regress")
    cmd += extra
    rc = subprocess.call(cmd, cwd=ROOT, env=env)
    if not os.path.exists(junit):
        print("0 passed, 1 failed")
        sys.exit(1)
    passed, failed, skipped = counts(junit)
    failed += len(stray_reports(sanlog))
    shutil.rmtree(work, ignore_errors=True)
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    sys.exit(0 if failed == 0 and rc in (0, 1) and passed > 0 else 1)


if __name__ == "__main__":
    main()
