"""Re-pack a Python package that Debian installed (python3-django and the
like) into a wheel, so that a venv can get it with 'pip install --no-index':
the e2e fixtures have no PyPI. Usage: repack.py NAME VERSION OUTDIR PKGDIR..."""

import base64
import hashlib
import os
import sys
import zipfile

DIST = "/usr/lib/python3/dist-packages"


def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def main(name, version, outdir, *pkgs):
    dist_info = "%s-%s.dist-info" % (name, version)
    wheel = os.path.join(outdir, "%s-%s-py3-none-any.whl" % (name, version))
    records = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for pkg in pkgs:
            for root, dirs, files in os.walk(os.path.join(DIST, pkg)):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for f in sorted(files):
                    full = os.path.join(root, f)
                    arc = os.path.relpath(full, DIST)
                    with open(full, "rb") as fh:
                        data = fh.read()
                    z.writestr(arc, data)
                    records.append(record_line(arc, data))
        meta = {
            "METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version),
            "WHEEL": "Wheel-Version: 1.0\nGenerator: wsgipack-repack\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        }
        for f, text in meta.items():
            arc = dist_info + "/" + f
            z.writestr(arc, text)
            records.append(record_line(arc, text.encode()))
        records.append(dist_info + "/RECORD,,")
        z.writestr(dist_info + "/RECORD", "\n".join(records) + "\n")
    print(wheel)


if __name__ == "__main__":
    main(*sys.argv[1:])
