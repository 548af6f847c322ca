"""Django settings of the minimal service (``python -m bench minimal``): no middleware, no
apps, DRF with JSON only and no authentication, one persistent PostgreSQL connection."""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = os.environ.get("MINIMAL_SECRET_KEY", "bench-minimal-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.minimal.app"
USE_TZ = True
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("MINIMAL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        conn_max_age=600,
    )
}
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
LOGGING_CONFIG = None
