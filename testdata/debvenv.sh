#!/bin/sh
# debvenv.sh VENV PYTHON DIST:VERSION:PACKAGE...: a venv made as CI would
# (python -m venv, pip install --no-index) from Python packages Debian
# installed in /usr/lib/python3/dist-packages, each re-packed into a wheel
# by repack.py: the e2e fixtures have no PyPI. Used by the fixtures'
# mkvenv.sh scripts.
set -eu
venv=$1
python=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
for spec; do
	dist=${spec%%:*}
	rest=${spec#*:}
	version=${rest%%:*}
	pkg=${rest#*:}
	if [ ! -d "/usr/lib/python3/dist-packages/$pkg" ]; then
		echo "debvenv.sh: /usr/lib/python3/dist-packages/$pkg is missing: install Debian's python3 package of $dist (make e2e-deps)" >&2
		exit 1
	fi
	"$python" "$here/repack.py" "$dist" "$version" "$wheels" "$pkg" >/dev/null
done
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --no-index --no-deps "$wheels"/*.whl
