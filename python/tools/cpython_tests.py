"""Runs CPython 3.13's own interpreter test suites against CPython's native
modules and against ours, parses the verbose unittest output per test, and
prints both counts and every difference. Exit status: 0 if ours passes at
least every test that passes natively, 1 otherwise, 2 if the setup is
broken (e.g. our modules do not shadow CPython's in a sub-interpreter).

Two set-ups, one Python each:

    python cpython_tests.py BUILD_DIR [SUITE ...]
        the developer build: ours = BUILD_DIR first on PYTHONPATH,
        native = no PYTHONPATH (this script's Python)
    python cpython_tests.py --installed [SUITE ...]
        the pip-installed package in this script's Python's environment:
        ours = its import hook, native = the same Python with
        XIKERNEL_DISABLE=1
"""

import os
import re
import subprocess
import sys
import time

# "test_name (package.module.Class.test_name) ... ok" (3.13 verbose form;
# the result may come later on its own line when a test prints).
START = re.compile(r"^(test\w*) \(([\w.]+)\)(?: \(.*?\))? \.\.\. ?(.*)$")
RESULT = re.compile(r"^(ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)\s*$")

PROBE = r"""
import _interpqueues, importlib.util
from test.support import interpreters
kinds = [getattr(_interpqueues, "_kernel", lambda: "native")()]
i = interpreters.create()
from test.support.interpreters import queues
q = queues.create(syncobj=True)
i.exec("import _interpqueues")  # CPython 3.13.0's needs it before prepare_main
i.prepare_main(q=q)
i.exec('import _interpqueues; q.put(getattr(_interpqueues, "_kernel", lambda: "native")())')
kinds.append(q.get())
if importlib.util.find_spec("_interpchannels") is not None:
    import _interpchannels
    kinds.append(getattr(_interpchannels, "_kernel", lambda: "native")())
    i.exec('import _interpchannels; q.put(getattr(_interpchannels, "_kernel", lambda: "native")())')
    kinds.append(q.get())
i.close()
print(" ".join(kinds))
"""


def env_for(build, ours):
    """The environment of a child: `build` is the developer build's
    directory (None: the installed package); `ours` picks the side."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("XIKERNEL_DISABLE", None)
    if build is None:
        if not ours:
            env["XIKERNEL_DISABLE"] = "1"
    elif ours:
        env["PYTHONPATH"] = build
    return env


def probe(build, ours=True):
    out = subprocess.run([sys.executable, "-c", PROBE], env=env_for(build, ours),
                         capture_output=True, text=True, timeout=120)
    return out.stdout.strip() or out.stderr.strip()


def parse(text):
    results = {}
    pending = None
    for line in text.splitlines():
        m = START.match(line)
        if m:
            name = m.group(2)
            rest = m.group(3).strip()
            r = RESULT.match(rest)
            if r:
                results[name] = r.group(1)
                pending = None
            else:
                pending = name
            continue
        if pending:
            r = RESULT.match(line.strip()) or re.search(
                r"\.\.\. (ok|FAIL|ERROR|skipped.*)$", line)
            if r:
                results[pending] = r.group(1)
                pending = None
    return results


def run(build, ours, suites):
    t = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "test", "-v", *suites],
                         env=env_for(build, ours), capture_output=True, text=True,
                         timeout=1800)
    return parse(out.stdout + out.stderr), out.returncode, time.monotonic() - t, out


def passed(res):
    return {k for k, v in res.items() if v in ("ok", "expected failure")}


def main():
    if sys.argv[1:2] == ["--installed"]:
        build = None
        ours_built = 4
    else:
        build = os.path.abspath(sys.argv[1])
        ours_built = 2 + 2 * any(f.startswith("_interpchannels") for f in os.listdir(build))
    suites = sys.argv[2:] or ["test_interpreters.test_queues"]
    kinds = probe(build).split()
    print(f"modules seen (queues main/sub, channels main/sub): {' '.join(kinds)}")
    if len(kinds) < ours_built or any(k != "xikernel" for k in kinds[:ours_built]):
        where = "the installed package's hook" if build is None else build
        print(f"ERROR: {where} does not shadow CPython's modules everywhere")
        return 2
    nkinds = probe(build, False).split()
    if len(nkinds) < 2 or any(k != "native" for k in nkinds):
        print(f"ERROR: the baseline does not load CPython's modules: {' '.join(nkinds)}")
        return 2
    native, nrc, nt, _ = run(build, False, suites)
    ours, orc, ot, oout = run(build, True, suites)
    status = 0
    print(f"suites: {' '.join(suites)}")
    for label, res, secs in (("native", native, nt), ("xikernel", ours, ot)):
        counts = {}
        for v in res.values():
            key = v.split()[0] if v.startswith("skipped") else v
            counts[key] = counts.get(key, 0) + 1
        summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
        print(f"  {label:9s}: {len(passed(res))} passed of {len(res)} ({summary}) in {secs:.1f} s")
    if not native or not ours:
        print("ERROR: no test results parsed")
        print(oout.stdout[-3000:], oout.stderr[-3000:])
        return 2
    diffs = sorted(set(native) | set(ours))
    shown = 0
    for name in diffs:
        a, b = native.get(name, "missing"), ours.get(name, "missing")
        if a != b:
            shown += 1
            print(f"  DIFF {name}: native {a}, xikernel {b}")
    if shown == 0:
        print("  no per-test differences")
    lost = passed(native) - passed(ours)
    if len(passed(ours)) < len(passed(native)) or lost:
        print(f"FAIL: {len(lost)} test(s) pass natively but not on xikernel")
        print(oout.stdout[-6000:])
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
