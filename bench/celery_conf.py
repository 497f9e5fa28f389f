#!/usr/bin/env python
"""What reading Celery's settings through Django's settings costs per task sent.

    .venv/bin/python bench/celery_conf.py                  # Redis db 15 on 127.0.0.1
    .venv/bin/python bench/celery_conf.py --broker-url redis://127.0.0.1:6379/7 -n 5000

config/celery.py reads them the conventional way (`config_from_object("django.conf:settings",
namespace="CELERY")`): every name Celery looks up while sending a task goes through Django's
settings object. The alternative is a plain dict of the same values, read once. Two apps with
the project's settings, one each way, send the same task to a queue of their own (purged at the
end), alternating in rounds; prints the microseconds per task of each and the difference.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUEUE = "bench-celery-conf"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--tasks", type=int, default=3000, help="tasks per round and app (default 3000)")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--broker-url", default="redis://127.0.0.1:6379/15")
    a = p.parse_args()
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", CELERY_BROKER_URL=a.broker_url)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from celery import Celery
    from django.conf import settings

    def noop(x):
        return x

    def app_reading(name, source, **namespace):
        app = Celery(name)
        app.config_from_object(source, **namespace)
        app.conf.task_default_queue = QUEUE
        return app.task(name="bench.noop")(noop)

    plain = {name[len("CELERY_"):].lower(): getattr(settings, name) for name in dir(settings)
             if name.startswith("CELERY_")}
    tasks = {"Django's settings (namespace)": app_reading("django", "django.conf:settings", namespace="CELERY"),
             "a plain dict": app_reading("plain", plain)}
    times = {name: [] for name in tasks}
    for _ in range(a.rounds):
        for name, task in tasks.items():
            task.delay(0)  # connected before timing
            started = time.perf_counter()
            for _ in range(a.tasks):
                task.delay(1)
            times[name].append((time.perf_counter() - started) / a.tasks * 1e6)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:32s} {medians[name]:6.0f} us per task (rounds: {', '.join(f'{v:.0f}' for v in values)})")
    django_us, plain_us = medians.values()
    print(f"difference: {django_us - plain_us:.0f} us per task")
    next(iter(tasks.values())).app.connection_for_write().default_channel.queue_purge(QUEUE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
