#!/usr/bin/env bash
# Runs CPython 3.13's own interpreter test suites against CPython's native
# _interpqueues/_interpchannels (baseline) and against ours (python/build
# first on PYTHONPATH, which shadows CPython's lib-dynload modules in the
# main interpreter and in every sub-interpreter: the script checks that),
# prints both pass counts and every per-test difference, then runs our own
# Python tests (python/tests/test_*.py).
#
# Exit status non-zero if ours passes fewer tests than native (or fails a
# test that passes natively), or if our own tests fail.
# Run `bash python/build.sh` first.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PY="${PYO3_PYTHON:-}"
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
ls "$build"/_interpqueues.*.so >/dev/null 2>&1 || { echo "no $build/_interpqueues*.so: run python/build.sh" >&2; exit 2; }

suites=(test_interpreters.test_queues)
if ls "$build"/_interpchannels.*.so >/dev/null 2>&1; then
    suites+=(test_interpreters.test_channels test__interpchannels)
fi

status=0
cd "$here"
echo "== CPython 3.13 suites, native vs xikernel"
"$PY" "$here/tools/cpython_tests.py" "$build" "${suites[@]}" || status=1

echo "== our own Python tests (python/tests)"
PYTHONPATH="$build" "$PY" -m unittest discover -s "$here/tests" -t "$here/tests" -p 'test_*.py' -v 2>&1 \
    | tee /tmp/xikernel-py-own-tests.$$ | grep -E '^(Ran|OK|FAILED)|(FAIL|ERROR):' 
grep -q '^OK' /tmp/xikernel-py-own-tests.$$ || { status=1; tail -60 /tmp/xikernel-py-own-tests.$$; }
rm -f /tmp/xikernel-py-own-tests.$$

[ $status -eq 0 ] && echo "python: PASS" || echo "python: FAIL"
exit $status
