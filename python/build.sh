#!/usr/bin/env bash
# Builds xikernel's CPython 3.13 extension modules and puts them, named as
# CPython expects, in python/build/ (put that first on PYTHONPATH to shadow
# CPython's own _interpqueues / _interpchannels).
#
#   bash python/build.sh            # release build
#   PROFILE=dev bash python/build.sh
set -euo pipefail
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
