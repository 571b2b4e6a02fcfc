"""Runs CPython 3.13's own multiprocessing queue and pool tests (see
mp_suite.py) against `multiprocessing` and against `xikernel.mp`, and
prints both counts and every per-test difference, in the style of
cpython_tests.py. Exit status 0 if ours passes at least every test that
passes natively, 1 otherwise.

Usage: python cpython_mp_tests.py BUILD_DIR [START_METHOD ...]
       python cpython_mp_tests.py --installed [START_METHOD ...]
(default start methods: fork). BUILD_DIR: the developer build (python/build
and the source tree's xikernel package); --installed: the package
pip installed for this Python.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpython_tests import parse, passed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def run(build, start, ours):
    env = dict(os.environ)
    env.pop("XIKERNEL_DISABLE", None)
    if build is None:
        env["PYTHONPATH"] = HERE
    else:
        # python/ (the xikernel package source) and python/build (the library).
        env["PYTHONPATH"] = os.pathsep.join([HERE, os.path.dirname(HERE), build])
    env["XIKERNEL_MP_TESTS"] = "ours" if ours else "native"
    env["XIKERNEL_MP_START"] = start
    t = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "unittest", "-v", "mp_suite"],
                         env=env, cwd=HERE, capture_output=True, text=True,
                         timeout=1200)
    return parse(out.stdout + out.stderr), time.monotonic() - t, out


def main():
    build = None if sys.argv[1] == "--installed" else os.path.abspath(sys.argv[1])
    starts = sys.argv[2:] or ["fork"]
    status = 0
    for start in starts:
        native, nt, nout = run(build, start, False)
        ours, ot, oout = run(build, start, True)
        print(f"multiprocessing queue/pool tests, start method {start}:")
        for label, res, secs in (("native", native, nt), ("xikernel", ours, ot)):
            counts = {}
            for v in res.values():
                key = v.split()[0] if v.startswith("skipped") else v
                counts[key] = counts.get(key, 0) + 1
            summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
            print(f"  {label:9s}: {len(passed(res))} passed of {len(res)} ({summary}) in {secs:.1f} s")
        if not native or not ours:
            print("ERROR: no test results parsed")
            print(nout.stderr[-3000:], oout.stderr[-3000:])
            return 2
        shown = 0
        for name in sorted(set(native) | set(ours)):
            a, b = native.get(name, "missing"), ours.get(name, "missing")
            if a != b:
                shown += 1
                print(f"  DIFF {name}: native {a}, xikernel {b}")
        if shown == 0:
            print("  no per-test differences")
        lost = passed(native) - passed(ours)
        if lost:
            print(f"FAIL: {len(lost)} test(s) pass natively but not on xikernel")
            print(oout.stderr[-8000:])
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
