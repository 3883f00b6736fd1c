#!/bin/sh
# mkvenv.sh VENV [PYTHON]: the Django fixture's venv, made as CI would
# (python -m venv, pip install --no-index) from Debian's python3-django,
# python3-asgiref, python3-sqlparse and python3-tz re-packed into wheels (no PyPI here).
set -eu
venv=$1
python=${2:-python3}
here=$(cd "$(dirname "$0")" && pwd)
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
for p in /usr/lib/python3/dist-packages/django /usr/lib/python3/dist-packages/asgiref /usr/lib/python3/dist-packages/sqlparse /usr/lib/python3/dist-packages/pytz; do
	[ -d "$p" ] || { echo "mkvenv.sh: $p is missing: apt-get install python3-django (make deps)" >&2; exit 1; }
done
"$python" "$here/../repack.py" Django 3.2.25 "$wheels" django >/dev/null
"$python" "$here/../repack.py" asgiref 3.6.0 "$wheels" asgiref >/dev/null
"$python" "$here/../repack.py" sqlparse 0.4.2 "$wheels" sqlparse >/dev/null
"$python" "$here/../repack.py" pytz 2022.7.1 "$wheels" pytz >/dev/null
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --no-index --no-deps "$wheels"/*.whl
