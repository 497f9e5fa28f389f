"""The Celery app. Settings come from Django's settings: the CELERY_ names, under Celery's own
(CELERY_TASK_ACKS_LATE is task_acks_late), read through Django's settings object, so
override_settings reaches Celery in tests as it reaches everything else.

Reading them through Django's settings costs about 0.05 ms per task sent against a plain dict
read once (bench/celery_send.py; a message webhook costs about 1.9 ms): not worth a custom mapping.
"""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each worker writes a heartbeat while it consumes; /readiness/ reports when none is recent.
app.steps["consumer"].add("whatsapp.heartbeat:HeartbeatStep")


@worker_ready.connect
def worker_ready_note(**kwargs) -> None:
    """Write the file WORKER_READY_FILE names (if any) once this worker is ready: `./bin/run` prints
    its closing block (the address and the login) after it, below Celery's start-up banner."""
    path = os.environ.get("WORKER_READY_FILE")
    if path:
        Path(path).write_text(f"{os.getpid()}\n")
