#!/usr/bin/env bash
# The developer build of xikernel's CPython 3.13 extension modules (users:
# `pip install ./python`, see README.md). Builds the binding's one shared
# library (crate `native/`) and lays it out in python/build/ for
# PYTHONPATH use:
#
#   python/build/_xikernel_native<EXT_SUFFIX>       the library
#   python/build/_interpqueues<EXT_SUFFIX>   -> symlink to it
#   python/build/_interpchannels<EXT_SUFFIX> -> symlink to it
#
# With python/build first on PYTHONPATH, `import _interpqueues` finds ours
# before CPython's lib-dynload, in the main interpreter and in every
# sub-interpreter. The symlinks (not copies) matter: the dynamic loader
# recognises the same file and maps it once, so both modules share one
# kernel, as in the pip-installed package.
#
#   bash python/build.sh            # release build
#   PROFILE=dev bash python/build.sh
#
# Honours CARGO_TARGET_DIR (the mutation audit builds in a scratch target).
set -euo pipefail
if [ "${1:-}" = "--install" ]; then
    echo "build.sh: --install is gone; install with: python -m pip install ./python (README.md)" >&2
    exit 2
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
(cd "$here" && nice -n 5 cargo build --profile "$profile" -p xikernel-native)
target="${CARGO_TARGET_DIR:-$here/target}"
case "$target" in /*) ;; *) target="$here/$target" ;; esac

mkdir -p "$here/build"
lib="_xikernel_native$suffix"
cp "$target/$dir/libxikernel_native.so" "$here/build/$lib.tmp"
mv "$here/build/$lib.tmp" "$here/build/$lib"
for name in _interpqueues _interpchannels _xikernel_mp; do
    ln -sfn "$lib" "$here/build/$name$suffix"
    echo "built $here/build/$name$suffix -> $lib"
done
