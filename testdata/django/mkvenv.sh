#!/bin/sh
# mkvenv.sh VENV [PYTHON]: the Django fixture's venv, from Debian's
# python3-django, python3-asgiref, python3-sqlparse and python3-tz.
set -eu
exec sh "$(dirname "$0")/../debvenv.sh" "$1" "${2:-python3}" \
	Django:3.2.25:django asgiref:3.6.0:asgiref sqlparse:0.4.2:sqlparse pytz:2022.7.1:pytz
