"""The Flask tutorial's application factory (shortened): configuration in
the instance folder, a SQLite database there."""

import os
import sqlite3

from flask import Flask, request


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "flaskr.sqlite"),
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    try:
        os.makedirs(app.instance_path)
    except OSError:
        pass

    @app.route("/hello")
    def hello():
        return "Hello, World!"

    @app.route("/visits")
    def visits():
        with sqlite3.connect(app.config["DATABASE"]) as db:
            db.execute("CREATE TABLE IF NOT EXISTS visit (id INTEGER PRIMARY KEY)")
            db.execute("INSERT INTO visit DEFAULT VALUES")
            n = db.execute("SELECT COUNT(*) FROM visit").fetchone()[0]
        return {"visits": n, "instance": app.instance_path, "authorization": request.headers.get("Authorization")}

    return app
