#!/usr/bin/env bash
# Builds xikernel's CPython 3.13 extension modules and puts them, named as
# CPython expects, in python/build/ (put that first on PYTHONPATH to shadow
# CPython's own _interpqueues / _interpchannels).
#
#   bash python/build.sh            # release build
#   PROFILE=dev bash python/build.sh
#   bash python/build.sh --install [PYTHON]   # also install into PYTHON's
#       environment (default: the active virtualenv's python, else PYO3_PYTHON)
#
# Installing cannot just drop the .so files into site-packages: CPython's own
# lib-dynload comes before site-packages on sys.path, so its native modules
# would win. The install puts them in <site-packages>/xikernel_modules/ and a
# `xikernel.pth` whose import line moves that folder to the front of sys.path
# at start-up, in the main interpreter and in every sub-interpreter (each one
# runs `site`).
set -euo pipefail
install=""; install_py=""
if [ "${1:-}" = "--install" ]; then
    install=1; install_py="${2:-}"
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ -z "${PYO3_PYTHON:-}" ]; then
    if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.13.0/bin/python3" ]; then
        PYO3_PYTHON="$(pyenv root)/versions/3.13.0/bin/python3"
    else
        PYO3_PYTHON="$(PYENV_VERSION=3.13.0 python3 -c 'import sys; print(sys.executable)')"
    fi
fi
export PYO3_PYTHON
"$PYO3_PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version' \
    || { echo "build.sh: $PYO3_PYTHON is not CPython 3.13" >&2; exit 2; }
suffix="$("$PYO3_PYTHON" -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")"

profile="${PROFILE:-release}"
dir=release; [ "$profile" = dev ] && dir=debug
# module name : crate lib name (members that exist are built)
mods=(_interpqueues:xikernel_interpqueues _interpchannels:xikernel_interpchannels)
pkgs=()
for m in "${mods[@]}"; do
    lib="${m#*:}"
    [ -d "$here/${lib#xikernel_}" ] && pkgs+=(-p "xikernel-${lib#xikernel_}")
done
(cd "$here" && nice -n 5 cargo build --profile "$profile" "${pkgs[@]}")
# Honour CARGO_TARGET_DIR (the mutation audit builds in a scratch target).
target="${CARGO_TARGET_DIR:-$here/target}"
case "$target" in /*) ;; *) target="$here/$target" ;; esac

mkdir -p "$here/build"
for m in "${mods[@]}"; do
    name="${m%%:*}"; lib="${m#*:}"
    so="$target/$dir/lib$lib.so"
    [ -f "$so" ] || continue
    [ -d "$here/${lib#xikernel_}" ] || continue
    cp "$so" "$here/build/$name$suffix.tmp"
    mv "$here/build/$name$suffix.tmp" "$here/build/$name$suffix"
    echo "built $here/build/$name$suffix"
done

if [ -n "$install" ]; then
    if [ -z "$install_py" ]; then
        if [ -n "${VIRTUAL_ENV:-}" ]; then install_py="$VIRTUAL_ENV/bin/python"; else install_py="$PYO3_PYTHON"; fi
    fi
    "$install_py" -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version' \
        || { echo "build.sh: $install_py is not CPython 3.13" >&2; exit 2; }
    site="$("$install_py" -c "import sysconfig; print(sysconfig.get_path('platlib'))")"
    mkdir -p "$site/xikernel_modules"
    cp "$here"/build/_interp*"$suffix" "$site/xikernel_modules/"
    printf '%s\n' "import sys; p = '$site/xikernel_modules'; p in sys.path and sys.path.remove(p); sys.path.insert(0, p)" \
        > "$site/xikernel.pth"
    "$install_py" -c 'import _interpqueues as m; assert m._kernel() == "xikernel", m.__file__; print("installed", m.__file__)'
fi
