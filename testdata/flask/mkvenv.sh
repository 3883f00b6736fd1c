#!/bin/sh
# mkvenv.sh VENV [PYTHON]: the Flask fixture's venv, made as CI would
# (python -m venv, pip install --no-index) from Debian's python3-flask and
# its dependencies re-packed into wheels (no PyPI here).
set -eu
venv=$1
python=${2:-python3}
here=$(cd "$(dirname "$0")" && pwd)
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
dist=/usr/lib/python3/dist-packages
for p in flask werkzeug jinja2 itsdangerous click markupsafe; do
	[ -d "$dist/$p" ] || { echo "mkvenv.sh: $dist/$p is missing: apt-get install python3-flask (make e2e-deps)" >&2; exit 1; }
done
"$python" "$here/../repack.py" Flask 2.2.2 "$wheels" flask >/dev/null
"$python" "$here/../repack.py" Werkzeug 2.2.2 "$wheels" werkzeug >/dev/null
"$python" "$here/../repack.py" Jinja2 3.1.2 "$wheels" jinja2 >/dev/null
"$python" "$here/../repack.py" itsdangerous 2.1.2 "$wheels" itsdangerous >/dev/null
"$python" "$here/../repack.py" click 8.1.3 "$wheels" click >/dev/null
"$python" "$here/../repack.py" MarkupSafe 2.1.2 "$wheels" markupsafe >/dev/null
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --no-index --no-deps "$wheels"/*.whl
