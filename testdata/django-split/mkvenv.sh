#!/bin/sh
# mkvenv.sh VENV [PYTHON]: the venv of this fixture, the Django fixture's.
set -eu
exec sh "$(dirname "$0")/../django/mkvenv.sh" "$@"
