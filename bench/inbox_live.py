#!/usr/bin/env python
"""What the inbox's poll costs the server: /admin/inbox/live/, which every open inbox asks once a second.

    .venv/bin/python bench/inbox_live.py                       # 300 conversations, 40 messages each
    .venv/bin/python bench/inbox_live.py -c 1000 -m 100 -n 200
    DATABASE_URL=postgres://root@127.0.0.1:5432/bench_inbox .venv/bin/python bench/inbox_live.py

What it does: Django on a SQLite file in a temporary directory (or the PostgreSQL database named by
DATABASE_URL, which it creates and drops), a manager and `-c` customers' conversations with `-m`
messages each, then the live view through Django's test client as the page calls it, in the two
cases a second of polling meets: nothing changed (the usual answer: `{}`), and a new message in the
open conversation (the list and the open conversation rendered again). Printed: p50, p90 and max
of the wall time per request, and the queries each took. Target: the quiet poll well under the
second between two polls on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--conversations", type=int, default=300)
    parser.add_argument("-m", "--messages", type=int, default=40, help="messages per conversation")
    parser.add_argument("-n", "--requests", type=int, default=100, help="timed requests per case")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench_inbox_")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "0",
                       "DJANGO_ALLOWED_HOSTS": "testserver", "WHATSAPP_PHONE_NUMBER_ID": "100000000000001",
                       "WHATSAPP_ACCESS_TOKEN": "bench", "WHATSAPP_APP_SECRET": "bench",
                       "DJANGO_SECRET_KEY": "bench-" + "x" * 50})
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)

    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test.utils import setup_test_environment, setup_databases, teardown_databases

    setup_test_environment()
    settings.DEBUG = True  # counts the queries
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        from django.test import Client
        from django.urls import reverse
        from django.utils import timezone

        from accounts.models import User
        from whatsapp.models import Conversation, Message

        boss = User.objects.create_user(username="boss", first_name="Maya", role=User.Role.MANAGER)
        now = timezone.now()
        rows = []
        for n in range(args.conversations):
            wa_id = f"1555{n:07d}"
            customer = User.objects.create_user(username=f"c{n}", first_name=f"Customer {n}",
                                                role=User.Role.CUSTOMER, phone_number=f"+{wa_id}")
            conversation = Conversation.objects.create(
                phone_number_id="100000000000001", contact_key=wa_id, wa_id=wa_id, user=customer,
                profile_name=f"Customer {n}", last_inbound_at=now, last_message_at=now - timedelta(minutes=n))
            for m in range(args.messages):
                inbound = m % 2 == 0
                rows.append(Message(conversation=conversation, direction="in" if inbound else "out", type="text",
                                    text=f"Message {m} of conversation {n}", status="handled" if inbound else "read",
                                    timestamp=now - timedelta(minutes=n, seconds=args.messages - m)))
        Message.objects.bulk_create(rows, batch_size=2000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum keeps a live database's statistics
        opened = Conversation.objects.order_by("-last_message_at").first()

        client = Client()
        client.force_login(boss)
        url = reverse("admin:inbox_live")
        first = client.get(url, {"c": opened.pk, "seen": "1"}, secure=True).json()
        quiet = {"c": opened.pk, "seen": "1", "etag": first["conversation"]["etag"], "mode": "text",
                 "list_etag": first["list"]["etag"]}

        def timed(changing: bool) -> tuple[list[float], list[int]]:
            times, queries = [], []
            for _ in range(args.requests):
                if changing:
                    Message.objects.create(conversation=opened, direction="in", type="text", text="New message",
                                           status="received", timestamp=timezone.now())
                reset_queries()
                started = time.perf_counter()
                answer = client.get(url, quiet, secure=True).json()
                times.append((time.perf_counter() - started) * 1000)
                queries.append(len(connection.queries))
                assert bool(answer) is changing, answer
                if changing:  # the list too, unless it reads the same ("New" again, read at once)
                    quiet.update(etag=answer["conversation"]["etag"])
                    quiet.update(list_etag=answer.get("list", {}).get("etag", quiet["list_etag"]))
            return times, queries

        print(f"{connection.vendor}: {args.conversations} conversations x {args.messages} messages; "
              f"{args.requests} requests per case")
        for name, changing in (("nothing changed", False), ("a new message", True)):
            times, queries = timed(changing)
            print(f"  {name:16} p50 {percentile(times, 50):6.1f} ms  p90 {percentile(times, 90):6.1f} ms  "
                  f"max {max(times):6.1f} ms  queries {statistics.median(queries):.0f}")
    finally:
        teardown_databases(old_config, verbosity=0)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
