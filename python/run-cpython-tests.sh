#!/usr/bin/env bash
# Runs CPython 3.13's own interpreter test suites against CPython's native
# _interpqueues/_interpchannels (baseline) and against ours, prints both
# pass counts and every per-test difference, then CPython's own
# multiprocessing queue and pool tests against multiprocessing and against
# xikernel.mp (tools/cpython_mp_tests.py, start methods fork and spawn),
# then our own Python tests (python/tests/test_*.py, incl. the xikernel.mp
# crash test).
#
#   bash python/run-cpython-tests.sh                 # the developer build
#       (run `bash python/build.sh` first): ours = python/build first on
#       PYTHONPATH (python/ too, for the xikernel package's pure-Python
#       modules), native = the same Python without it
#   bash python/run-cpython-tests.sh --python VENV/bin/python
#       the package installed by `pip install ./python` in that
#       environment: ours = its import hook, native = XIKERNEL_DISABLE=1
#
# Either way the runner first checks that ours is what the main interpreter
# and a sub-interpreter load (and CPython's for the baseline).
# Exit status non-zero if ours passes fewer tests than native (or fails a
# test that passes natively), or if our own tests fail.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

installed=""
PY="${PYO3_PYTHON:-}"
if [ "${1:-}" = "--python" ]; then
    installed=1; PY="${2:?--python needs a Python}"
fi
if [ -z "$PY" ]; then
    if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.13.0/bin/python3" ]; then
        PY="$(pyenv root)/versions/3.13.0/bin/python3"
    else
        PY="$(PYENV_VERSION=3.13.0 python3 -c 'import sys; print(sys.executable)' 2>/dev/null || true)"
    fi
fi
if [ -z "$PY" ] || ! "$PY" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
    echo "run-cpython-tests.sh: CPython 3.13 not found" >&2
    exit 2
fi
build="$here/build"
suites=(test_interpreters.test_queues test_interpreters.test_channels test__interpchannels)
unset XIKERNEL_DISABLE
log="$(mktemp /tmp/xikernel-py-own-tests.XXXXXX)"
trap 'rm -f "$log"' EXIT

status=0
# From the tests directory: the source tree's python/xikernel (no library)
# must not be what `import xikernel` finds in the installed set-up.
cd "$here/tests"
echo "== CPython 3.13 suites, native vs xikernel"
if [ -n "$installed" ]; then
    "$PY" -c 'import xikernel._hook as h; assert h.library(), "no library"' \
        || { echo "run-cpython-tests.sh: xikernel is not installed for $PY (python -m pip install ./python)" >&2; exit 2; }
    "$PY" "$here/tools/cpython_tests.py" --installed "${suites[@]}" || status=1
    ownpath=""
else
    ls "$build"/_interpqueues.*.so >/dev/null 2>&1 || { echo "no $build/_interpqueues*.so: run python/build.sh" >&2; exit 2; }
    "$PY" "$here/tools/cpython_tests.py" "$build" "${suites[@]}" || status=1
    ownpath="$build:$here"
fi

echo "== CPython 3.13's multiprocessing queue and pool tests, multiprocessing vs xikernel.mp"
if [ -n "$installed" ]; then
    # fork only here: the developer build above ran spawn too (CI time).
    "$PY" "$here/tools/cpython_mp_tests.py" --installed fork || status=1
else
    "$PY" "$here/tools/cpython_mp_tests.py" "$build" fork spawn || status=1
fi

echo "== our own Python tests (python/tests), one process per file"
# One process per file: a process that imports both CPython's queue wrapper
# and xikernel.queues has one registered Queue class per interpreter (the
# last imported; docs/cpython.md), which is not what either file tests.
for f in "$here"/tests/test_*.py; do
    mod="$(basename "$f" .py)"
    if [ -n "$ownpath" ]; then
        PYTHONPATH="$ownpath" "$PY" -m unittest -v "$mod" >"$log" 2>&1
    else
        env -u PYTHONPATH "$PY" -m unittest -v "$mod" >"$log" 2>&1
    fi
    printf '  %-22s %s\n' "$mod" "$(grep -E '^(Ran|OK|FAILED)' "$log" | tr '\n' ' ')"
    grep -E '^(FAIL|ERROR):' "$log"
    grep -q '^OK' "$log" || { status=1; tail -60 "$log"; }
done

[ $status -eq 0 ] && echo "python: PASS" || echo "python: FAIL"
exit $status
