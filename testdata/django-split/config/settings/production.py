"""The servers' settings: the secret and the hosts from the environment."""
import os

from .base import *  # noqa: F401,F403

SETTINGS_NAME = "production"
DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost 127.0.0.1").split()
