#!/bin/sh
# mkvenv.sh VENV [PYTHON] [venv|copies|virtualenv]
# Creates the example app's venv as CI would, with no index: wheels of the
# fixture packages (testdata/packages) are built once per Python into a
# wheelhouse (WHEELHOUSE, default testdata/.wheelhouse) and installed from
# there with pip --no-index. Debian's python3-wheel-whl provides wheel.
set -eu
venv=$1
python=${2:-python3}
kind=${3:-venv}
here=$(cd "$(dirname "$0")" && pwd)
wheels=${WHEELHOUSE:-$here/.wheelhouse}
system_wheels=/usr/share/python-wheels

case $kind in
venv) "$python" -m venv "$venv" ;;
copies) "$python" -m venv --copies "$venv" ;;
virtualenv) /usr/bin/python3 -m virtualenv -q -p "$(command -v "$python")" "$venv" ;;
*) echo "mkvenv.sh: unknown kind $kind" >&2; exit 2 ;;
esac
pip() { "$venv/bin/python" -m pip -q --disable-pip-version-check "$@"; }
pip install --no-index --find-links "$system_wheels" wheel
# Venvs of Python 3.12 and later come without setuptools, which builds the
# fixtures; CPython ships a wheel of it for its own tests. (Debian's
# setuptools wheel is patched for Debian's Pythons only.)
if ! "$venv/bin/python" -c 'import setuptools' 2>/dev/null; then
    stdlib=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
    whl=$(ls "$stdlib"/test/wheeldata/setuptools-*.whl "$stdlib"/test/setuptools-*.whl 2>/dev/null | tail -n 1)
    if [ -z "$whl" ]; then
        echo "mkvenv.sh: $python has no setuptools wheel in $stdlib/test (a CPython build with its tests has one)" >&2
        exit 1
    fi
    pip install --no-index "$whl"
fi

# CFLAGS=-g0, as CI should build C extensions: without debug information,
# which holds the include directory of the Python built against (a pyenv
# prefix here) that wsgipack's leak scan refuses. The wheelhouse directory
# says so, so that wheels built before with -g are not reused.
export CFLAGS="${CFLAGS:+$CFLAGS }-g0"
tag=$("$venv/bin/python" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')-g0-cfg
mkdir -p "$wheels/$tag"
for pkg in invutil fastsum; do
    if ! ls "$wheels/$tag/$pkg"-*.whl >/dev/null 2>&1; then
        tmp=$(mktemp -d)
        cp -R "$here/packages/$pkg" "$tmp/$pkg"
        pip wheel --no-index --no-build-isolation --no-deps -w "$wheels/$tag" "$tmp/$pkg"
        rm -rf "$tmp"
    fi
done
pip install --no-index --find-links "$wheels/$tag" invutil fastsum
