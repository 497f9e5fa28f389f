"""Liveness and readiness probes.

`/health/`: the process answers (point a load balancer here). `/readiness/`: this deployment can
answer messages now: the database and the broker answer and a worker sent a heartbeat recently
(for monitoring and deploy checks; see the README for why not for routing webhooks).
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from config.celery import app as celery_app
from whatsapp.heartbeat import worker_heartbeat_latest


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def _worker_problem() -> str | None:
    """Why no worker counts as alive, or None when one sent its heartbeat recently."""
    stale = settings.WORKER_HEARTBEAT_STALE_SECONDS
    if not stale:
        return None
    try:
        latest = worker_heartbeat_latest()
    except Exception:
        return "cannot read the worker heartbeats (database unavailable)"
    if latest is None:
        return "no worker has sent a heartbeat yet: start one (see the Procfile's worker)"
    age = (timezone.now() - latest.seen_at).total_seconds()
    if age > stale:
        return (f"no worker heartbeat for {int(age)} s (the newest from {latest.hostname}; "
                f"WORKER_HEARTBEAT_STALE_SECONDS={stale})")
    return None


@require_GET
def health(request):
    """The process answers."""
    return JsonResponse({"status": "ok"})


@require_GET
def readiness(request):
    """The database and the broker answer, and a worker sent a heartbeat recently."""
    reasons = {}
    if not _database_ok():
        reasons["database"] = "the database does not answer"
    if not _broker_ok():
        reasons["broker"] = "the broker does not answer"
    worker_problem = _worker_problem()
    if worker_problem:
        reasons["worker"] = worker_problem
    checks = {name: name not in reasons for name in ("database", "broker", "worker")}
    body = {"status": "unavailable" if reasons else "ok", "checks": checks}
    if reasons:
        body["reasons"] = reasons
    return JsonResponse(body, status=503 if reasons else 200)
