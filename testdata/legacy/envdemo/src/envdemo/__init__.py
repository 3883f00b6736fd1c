"""envdemo: answers with the variables of its process whose names start with
ENVDEMO_, as JSON."""
import json
import os


def application(environ, start_response):
    body = json.dumps({k: v for k, v in os.environ.items() if k.startswith("ENVDEMO_")}, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
