#!/usr/bin/env bash
# The newcomer's path, checked end to end (CI runs it; so do the planted
# bugs of the import hook): a fresh virtual environment made as the README
# says, `pip install ./python` (pip fetches setuptools and setuptools-rust
# from PyPI into its isolated build environment), CPython's own queue and
# channel suites on ours vs native in that one environment
# (XIKERNEL_DISABLE=1 for native) plus our Python tests, `python -m
# xikernel` showing ours in the main interpreter and a sub-interpreter,
# then `pip uninstall -y xikernel` and CPython's modules everywhere again.
#
#   bash python/check-installed.sh [VENV_DIR]   # default: python/build/venv
#
# Cargo builds into CARGO_TARGET_DIR if set, else python/target.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/build/venv}"

if [ -n "${PYO3_PYTHON:-}" ]; then
    base="$PYO3_PYTHON"
elif command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.13.0/bin/python3" ]; then
    base="$(pyenv root)/versions/3.13.0/bin/python3"
else
    echo "check-installed.sh: no CPython 3.13 (pyenv's 3.13.0 or PYO3_PYTHON)" >&2
    exit 2
fi
unset XIKERNEL_DISABLE

echo "== fresh venv: $venv (from $base)"
rm -rf "$venv"
"$base" -m venv "$venv"
py="$venv/bin/python"

echo "== python -m pip install ./python"
(cd "$here/.." && "$py" -m pip install --quiet ./python)
"$py" -m pip show xikernel | sed -n '1,2p'

echo "== python -m xikernel"
(cd "$venv" && "$py" -m xikernel --expect xikernel)

bash "$here/run-cpython-tests.sh" --python "$py"

echo "== pip uninstall -y xikernel, then CPython's modules again"
"$py" -m pip uninstall --yes --quiet xikernel
left="$("$py" -c 'import sysconfig, os; p = sysconfig.get_path("platlib"); print(" ".join(sorted(f for f in os.listdir(p) if "xikernel" in f)))')"
[ -z "$left" ] || { echo "FAIL: pip uninstall left: $left" >&2; exit 1; }
# The package is gone, so run its __main__ as a plain script.
(cd "$venv" && "$py" "$here/xikernel/__main__.py" --expect cpython)
echo "check-installed: PASS"
