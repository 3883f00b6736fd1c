"""The developers' settings."""
from .base import *  # noqa: F401,F403

SETTINGS_NAME = "local"
DEBUG = True
SECRET_KEY = "django-insecure-for-development-only"
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
