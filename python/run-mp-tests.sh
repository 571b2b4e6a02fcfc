#!/usr/bin/env bash
# The xikernel.mp tests alone, against the developer build (run
# `bash python/build.sh` first): our own (test_mp, test_mp_crash) and
# CPython's multiprocessing queue and pool tests under fork, native vs
# ours. A subset of run-cpython-tests.sh, quick enough for the mutation
# audit's checks (verify/mutations/python-mp.toml).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${PYO3_PYTHON:-}"
if [ -z "$PY" ] && command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.13.0/bin/python3" ]; then
    PY="$(pyenv root)/versions/3.13.0/bin/python3"
fi
[ -n "$PY" ] || PY="$(PYENV_VERSION=3.13.0 python3 -c 'import sys; print(sys.executable)' 2>/dev/null || true)"
if [ -z "$PY" ] || ! "$PY" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
    echo "run-mp-tests.sh: CPython 3.13 not found" >&2
    exit 2
fi
# Ours first, failing fast: a broken transport hangs CPython's pool tests
# (their waits are unbounded), so they run only once ours pass.
if ! (cd "$here/tests" && PYTHONPATH="$here/build:$here" timeout 600 "$PY" -m unittest -f test_mp test_mp_crash); then
    echo "xikernel.mp: FAIL"
    exit 1
fi
status=0
"$PY" "$here/tools/cpython_mp_tests.py" "$here/build" fork || status=1
[ $status -eq 0 ] && echo "xikernel.mp: PASS" || echo "xikernel.mp: FAIL"
exit $status
