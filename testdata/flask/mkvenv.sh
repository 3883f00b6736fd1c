#!/bin/sh
# mkvenv.sh VENV [PYTHON]: the Flask fixture's venv, from Debian's
# python3-flask and its dependencies.
set -eu
exec sh "$(dirname "$0")/../debvenv.sh" "$1" "${2:-python3}" \
	Flask:2.2.2:flask Werkzeug:2.2.2:werkzeug Jinja2:3.1.2:jinja2 itsdangerous:2.1.2:itsdangerous \
	click:8.1.3:click MarkupSafe:2.1.2:markupsafe
