"""Workers say they are alive: each Celery worker touches its own row (WorkerHeartbeat) every few
seconds while it is connected to the broker, and /readiness/ (config/health.py) reports a
deployment whose newest heartbeat is older than WORKER_HEARTBEAT_STALE_SECONDS.

The beat is a step of the worker's consumer (registered in config/celery.py): it starts once the
worker consumes from the broker and stops when it loses the broker, so a worker that runs but
cannot take tasks goes quiet too. It runs in the worker's main process and closes its database
connection after each beat, so the pool processes forked later never inherit an open one.
"""

import logging
import os
from datetime import timedelta

from celery import bootsteps
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from whatsapp.models import WorkerHeartbeat

logger = logging.getLogger(__name__)
# Rows of workers gone for longer than this are deleted (container names change on every deploy).
FORGET_AFTER = timedelta(days=1)


def heartbeat_interval() -> float:
    """Seconds between beats: a few beats fit in the staleness window, and never less than one."""
    stale = settings.WORKER_HEARTBEAT_STALE_SECONDS or 120
    return max(1.0, min(30.0, stale / 4))


def worker_heartbeat_record(*, hostname: str, pid: int) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(hostname=hostname[:255], defaults={"pid": pid, "seen_at": now})
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()


def worker_heartbeat_latest():
    """The newest heartbeat of any worker, or None when no worker ever sent one."""
    return WorkerHeartbeat.objects.order_by("-seen_at").first()


class HeartbeatStep(bootsteps.StartStopStep):
    """A consumer step: beats while the worker is connected to the broker."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.timer_entry = None

    def start(self, parent):
        self.beat(parent.hostname)
        self.timer_entry = parent.timer.call_repeatedly(heartbeat_interval(), self.beat, (parent.hostname,))

    def stop(self, parent):
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    shutdown = stop

    def beat(self, hostname: str) -> None:
        try:
            close_old_connections()
            worker_heartbeat_record(hostname=hostname, pid=os.getpid())
        except Exception as exc:  # the database is out of reach: readiness will say so
            logger.warning("Could not record the worker heartbeat: %s", exc)
        finally:
            connection.close()
