"""Settings for the server under benchmark: the project's own settings, plus a bench-only urlconf.

Only bench/webhook_ingest.py points DJANGO_SETTINGS_MODULE here; production never does.
Everything else (database, broker, security, middleware) is exactly config.settings, read from the
environment as in production.
"""

from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls"
