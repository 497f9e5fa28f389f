#!/usr/bin/env python
"""What sending a Celery task costs, and what two choices change about it.

    .venv/bin/python bench/celery_send.py                  # Redis db 15 on 127.0.0.1
    .venv/bin/python bench/celery_send.py --broker-url redis://127.0.0.1:6379/7 -n 5000

1. Where Celery reads its settings: config/celery.py reads them the conventional way
   (`config_from_object("django.conf:settings", namespace="CELERY")`), every name Celery looks up
   while sending going through Django's settings object; the alternative is a plain dict of the
   same values, read once.
2. Redis clients: kombu builds a new Redis client for every command it sends; the project's Redis
   transport (config/broker.py) keeps one per channel.

Sends the project's inbound task (nothing consumes it) to a queue of its own, purged at the end,
alternating the variants in rounds; prints the microseconds per task of each.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUEUE = "bench-celery-send"


def timed(send, n: int) -> float:
    send()  # connected before timing
    started = time.perf_counter()
    for _ in range(n):
        send()
    return (time.perf_counter() - started) / n * 1e6


def compare(title: str, variants: dict, *, n: int, rounds: int) -> None:
    """variants: name -> (set up, send); each round sets each up in turn and times its sends."""
    times = {name: [] for name in variants}
    for _ in range(rounds):
        for name, (setup, send) in variants.items():
            setup()
            times[name].append(timed(send, n))
    print(f"== {title}")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"  {name:40s} {medians[name]:6.0f} us per task (rounds: {', '.join(f'{v:.0f}' for v in values)})")
    first, second = medians.values()
    print(f"  difference: {first - second:.0f} us per task")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--tasks", type=int, default=3000, help="tasks per round and variant (default 3000)")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--broker-url", default="redis://127.0.0.1:6379/15")
    a = p.parse_args()
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", CELERY_BROKER_URL=a.broker_url)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from celery import Celery
    from django.conf import settings
    from kombu.transport.redis import Channel as KombuChannel

    from config import broker
    from config.celery import app

    def noop(x):
        return x

    def app_reading(name, source, **namespace):
        other = Celery(name)
        other.config_from_object(source, **namespace)
        other.conf.task_default_queue = QUEUE
        return other.task(name="bench.noop")(noop)

    plain = {name[len("CELERY_"):].lower(): getattr(settings, name) for name in dir(settings)
             if name.startswith("CELERY_")}
    django_task = app_reading("django", "django.conf:settings", namespace="CELERY")
    plain_task = app_reading("plain", plain)
    compare("settings read through Django's settings, or from a plain dict", {
        "Django's settings (namespace)": (lambda: None, lambda: django_task.delay(1)),
        "a plain dict": (lambda: None, lambda: plain_task.delay(1)),
    }, n=a.tasks, rounds=a.rounds)

    from whatsapp.tasks import inbound_handle_task

    app.conf.task_default_queue = QUEUE
    kept = broker.RedisChannel.conn_or_acquire

    def use(conn_or_acquire):
        return lambda: setattr(broker.RedisChannel, "conn_or_acquire", conn_or_acquire)

    compare("the project's task, through kombu's Redis clients or one kept per channel", {
        "a new client per command (kombu)": (use(KombuChannel.conn_or_acquire), lambda: inbound_handle_task.delay(1)),
        "one client per channel (config/broker.py)": (use(kept), lambda: inbound_handle_task.delay(1)),
    }, n=a.tasks, rounds=a.rounds)
    broker.RedisChannel.conn_or_acquire = kept
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(QUEUE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
