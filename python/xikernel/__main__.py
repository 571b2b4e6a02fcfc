"""``python -m xikernel``: which implementation of ``_interpqueues`` and
``_interpchannels`` this environment gives the main interpreter and a
sub-interpreter (xikernel's or CPython's), and whether the import hook is
on.

    python -m xikernel                  # report
    python -m xikernel --expect xikernel   # also exit 1 unless ours everywhere
    python -m xikernel --expect cpython    # ... unless CPython's everywhere

The file uses only the standard library and no relative import, so it also
runs as a plain script where the package is not installed (CI runs it so
after ``pip uninstall xikernel``): ``python python/xikernel/__main__.py``.
"""

from __future__ import annotations

import argparse
import os
import sys

MODULES = ("_interpqueues", "_interpchannels")

# Runs in the interpreter being probed; writes one line per module,
# "name<TAB>kind<TAB>origin", then "hook<TAB>on|off", to file descriptor FD.
PROBE = r"""
import os as _os, sys as _sys
_lines = []
for _name in NAMES:
    try:
        _m = __import__(_name)
    except ImportError as _e:
        _lines.append(f"{_name}\tmissing\t{_e}")
        continue
    _k = getattr(_m, "_kernel", None)
    _kind = "xikernel" if _k is not None and _k() == "xikernel" else "CPython"
    _lines.append(f"{_name}\t{_kind}\t{getattr(_m, '__file__', None) or 'built-in'}")
_first = _sys.meta_path[0] if _sys.meta_path else None
_hook = "on" if getattr(_first, "_xikernel", False) is True else "off"
_lines.append(f"hook\t{_hook}\t")
_os.write(FD, ("\n".join(_lines) + "\n").encode())
"""


def _code(fd: int) -> str:
    return f"NAMES = {MODULES!r}\nFD = {fd}\n" + PROBE


def _parse(text: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        name, kind, origin = (line.split("\t") + ["", ""])[:3]
        out[name] = (kind, origin)
    return out


def probe_main() -> dict[str, tuple[str, str]]:
    """Imports the modules here, in the main interpreter."""
    r, w = os.pipe()
    try:
        exec(_code(w), {})
        os.close(w)
        w = -1
        with os.fdopen(r, "r") as f:
            r = -1
            return _parse(f.read())
    finally:
        for fd in (r, w):
            if fd >= 0:
                os.close(fd)


def probe_sub() -> dict[str, tuple[str, str]]:
    """Imports the modules in a new (isolated, own-GIL) sub-interpreter."""
    import _interpreters

    r, w = os.pipe()
    iid = _interpreters.create()
    try:
        # None, or a snapshot of the exception that ended the script.
        err: object = _interpreters.run_string(iid, _code(w))  # type: ignore[func-returns-value]
        if err is not None:
            raise RuntimeError(f"the sub-interpreter failed: {err}")
        os.close(w)
        w = -1
        with os.fdopen(r, "r") as f:
            r = -1
            return _parse(f.read())
    finally:
        _interpreters.destroy(iid)
        for fd in (r, w):
            if fd >= 0:
                os.close(fd)


def _package_line() -> str:
    try:
        import xikernel
    except ImportError:
        return "xikernel: not installed in this environment"
    where = os.path.dirname(os.path.abspath(xikernel.__file__ or ""))
    return f"xikernel {getattr(xikernel, '__version__', '?')}: {where}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xikernel",
        description="Show which _interpqueues/_interpchannels the main "
                    "interpreter and a sub-interpreter load.")
    parser.add_argument("--expect", choices=("xikernel", "cpython"),
                        help="exit 1 unless every module resolves to this "
                             "implementation in both interpreters")
    args = parser.parse_args(argv)

    print(_package_line())
    env = os.environ.get("XIKERNEL_DISABLE")
    print(f"XIKERNEL_DISABLE={env}" if env is not None else "XIKERNEL_DISABLE unset")
    results = {"main interpreter": probe_main(), "sub-interpreter": probe_sub()}
    mismatch = False
    for label, res in results.items():
        print(f"{label}:")
        hook = res.get("hook", ("?", ""))[0]
        print(f"  {'import hook':16s} {'on (first on sys.meta_path)' if hook == 'on' else 'off'}")
        for name in MODULES:
            kind, origin = res.get(name, ("missing", ""))
            print(f"  {name:16s} {kind:9s} {origin}")
            if args.expect and kind.lower() != args.expect:
                mismatch = True
    if args.expect:
        want = "xikernel's" if args.expect == "xikernel" else "CPython's"
        if mismatch:
            print(f"FAIL: not every module resolves to {want}")
            return 1
        print(f"OK: every module resolves to {want} in both interpreters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
