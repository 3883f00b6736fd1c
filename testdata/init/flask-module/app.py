from flask import Flask

import ticker

app = Flask(__name__)
app.config.from_prefixed_env()


@app.route("/")
def index():
    return "prices " + ticker.__version__
