"""The project's URLs plus two bench-only views on the same server, to compare the webhook with.

- /bench/bare/: a Django view that does no work: the ceiling. It goes through the same WSGI server,
  middleware and URL resolution as the webhook, and reads the request body, but touches neither the
  database nor the broker.
- /bench/floor/: the least any webhook design can do that answers only once the body is durably
  stored and its work queued: one INSERT of the raw body (a prepared statement, autocommitted, so
  one round trip and one commit) and one LPUSH to Redis through a client made once. No signature
  check, no parsing, no Celery message. What the webhook costs beyond it is the price of doing the
  job (signature, parsing, dedup, the conversation, a real Celery task); what it costs beyond the
  bare view no design that commits and queues before answering can avoid.
- /bench/floor-celery/: the floor with a real Celery task instead of the bare LPUSH (the issue asks
  for one Celery task per message): the most any design that commits and sends a Celery task per
  webhook could reach. The tasks go to their own queue, which no worker reads.
"""

import os
from functools import lru_cache

import redis
from celery import current_app

from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urlpatterns
from whatsapp.intake.postgres import Statement

FLOOR_TABLE = "bench_floor"
FLOOR_LIST = "bench:floor"
FLOOR_QUEUE = "bench-floor"


@csrf_exempt
def bare(request):
    return JsonResponse({"status": "ok", "bytes": len(request.body)})


@lru_cache(maxsize=1)
def _redis():
    return redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])


# Prepared once per connection, and run as the webhook's own statements are.
FLOOR_INSERT = Statement(f"INSERT INTO {FLOOR_TABLE} (received_at, body) VALUES (%(received_at)s, %(body)s) RETURNING id")


def _store(body: bytes) -> int:
    return FLOOR_INSERT.fetch_one({"received_at": timezone.now(), "body": body})[0]


@csrf_exempt
def floor(request):
    row_id = _store(request.body)
    _redis().lpush(FLOOR_LIST, str(row_id))
    return JsonResponse({"status": "ok", "event": row_id})


@csrf_exempt
def floor_celery(request):
    row_id = _store(request.body)
    current_app.send_task("bench.floor", args=[row_id], queue=FLOOR_QUEUE)
    return JsonResponse({"status": "ok", "event": row_id})


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/floor/", floor),
    path("bench/floor-celery/", floor_celery),
    *project_urlpatterns,
]
