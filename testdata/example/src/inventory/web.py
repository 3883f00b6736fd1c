"""A dependency-free WSGI app that reports what a packaged deployment needs
to prove: where it runs from, that native code loads, and that its config,
environment and database are reachable."""

import configparser
import json
import os
import pwd
import sqlite3
import sys

import fastsum
import invutil


def _settings():
    parser = configparser.ConfigParser()
    parser.read(os.environ.get("INVENTORY_SETTINGS", "/etc/inventory/settings.ini"))
    return parser


def _items():
    db = os.path.join(os.environ.get("INVENTORY_STATE", "/var/lib/inventory"), "inventory.db")
    if not os.path.exists(db):
        return None
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM items ORDER BY name")]


def _add_item(name):
    db = os.path.join(os.environ.get("INVENTORY_STATE", "/var/lib/inventory"), "inventory.db")
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO items (name) VALUES (?)", (name,))


def create_app():
    """Return the WSGI application (an app factory, as Flask's create_app)."""
    settings = _settings()

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path == "/health":
            body = b"ok\n"
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        if path.startswith("/upload/") and environ.get("REQUEST_METHOD") == "POST":
            # A user upload (Django's MEDIA_ROOT, a Flask upload folder),
            # served back by Apache from the media directory.
            name = os.path.basename(path[len("/upload/"):])
            size = int(environ.get("CONTENT_LENGTH") or 0)
            with open(os.path.join(os.environ["INVENTORY_MEDIA"], name), "wb") as f:
                f.write(environ["wsgi.input"].read(size))
            body = ("stored %s\n" % name).encode()
            start_response("201 Created", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/items" and environ.get("REQUEST_METHOD") == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            name = environ["wsgi.input"].read(size).decode().strip()
            _add_item(name)
            body = ("added %s\n" % name).encode()
            start_response("201 Created", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        info = {
            "app": "inventory",
            "version": __import__("inventory").__version__,
            "prefix": sys.prefix,
            "python": "%d.%d" % sys.version_info[:2],
            "native": fastsum.total([1, 2, 3, 4]),
            "native_file": fastsum.__file__,
            "util": invutil.slug("Hello World"),
            "state": os.environ.get("INVENTORY_STATE"),
            "greeting": settings.get("app", "greeting", fallback=None),
            "items": _items(),
            "uid": os.getuid(),
            "user": pwd.getpwuid(os.getuid()).pw_name,
            "code_writable": os.access(__file__, os.W_OK) or os.access(os.path.dirname(__file__), os.W_OK),
            "secret_key_length": len(os.environ.get("INVENTORY_SECRET_KEY", "")),
            "mode": os.environ.get("INVENTORY_MODE"),
            "color": os.environ.get("INVENTORY_COLOR"),
            "authorization": environ.get("HTTP_AUTHORIZATION"),
        }
        body = (json.dumps(info, sort_keys=True) + "\n").encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return application
