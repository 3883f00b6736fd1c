#!/bin/sh
# make.sh: builds testdata/legacy/envdemo_1.0.0-1+deb12_all.deb and
# envdemo-1.0.0-1.el9.noarch.rpm with the wsgipack of commit c58cb3d (the
# last one before the config model, 1de2536): packages that ship
# /etc/envdemo/environment as a KEY=value conffile. See README.md.
# Needs git history (not a shallow clone), go, python3 (3.11, as Debian 12
# and EL9's mod_wsgi); no network.
set -eu
legacy=c58cb3d27f5ecfe62d8a1ee7157e3d393d683626
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
python=${PYTHON:-python3}
if [ "$(git -C "$repo" rev-parse --is-shallow-repository)" = true ] || ! git -C "$repo" cat-file -e "$legacy^{commit}" 2>/dev/null; then
	echo "make.sh: commit $legacy is not in this clone (shallow?): git fetch --unshallow first" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git -C "$repo" archive "$legacy" | tar -x -C "$tmp/src"
(cd "$tmp/src" && go build -o "$tmp/wsgipack" ./cmd/wsgipack)
cp -R "$here/envdemo" "$tmp/envdemo"
# A bare venv: the app needs nothing but the standard library.
"$python" -m venv --without-pip "$tmp/envdemo/venv"
was=$(cat "$here/SHA256SUMS" 2>/dev/null || true)
rm -f "$here"/envdemo_*.deb "$here"/envdemo-*.rpm "$here/SHA256SUMS"
SOURCE_DATE_EPOCH=1700000000 "$tmp/wsgipack" build -f "$tmp/envdemo/wsgipack.yaml" --out "$here"
if [ -n "$was" ] && [ "$was" != "$(cat "$here/SHA256SUMS")" ]; then
	echo "make.sh: the packages differ from the ones built before (see git diff SHA256SUMS)" >&2
fi
