"""The Celery app. Settings come from Django's settings (the CELERY_ names)."""

import os
from collections.abc import Mapping

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class DjangoCelerySettings(Mapping):
    """Django's CELERY_* settings under Celery's own names (CELERY_TASK_ACKS_LATE is task_acks_late),
    read once, when Celery first needs its configuration (Django's settings are ready by then).

    The same as `config_from_object("django.conf:settings", namespace="CELERY")`, but a plain dict:
    that source looks every name up through Django's settings object, about twenty reads per task
    sent, a sixth of what queueing a webhook's task costs (bench/webhook_ingest.py). Being read
    once, a change to Django's settings at run time (override_settings) does not reach Celery:
    change `app.conf` instead, as the tests do.
    """

    prefix = "CELERY_"

    def __init__(self):
        self._settings = None

    def _loaded(self) -> dict:
        if self._settings is None:
            from django.conf import settings

            self._settings = {name[len(self.prefix):].lower(): getattr(settings, name)
                              for name in dir(settings) if name.startswith(self.prefix)}
        return self._settings

    def __getitem__(self, key):
        return self._loaded()[key]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self):
        return len(self._loaded())


app = Celery("config")
app.config_from_object(DjangoCelerySettings())
app.autodiscover_tasks()
# Each worker writes a heartbeat while it consumes; /readiness/ reports when none is recent.
app.steps["consumer"].add("whatsapp.heartbeat:HeartbeatStep")
