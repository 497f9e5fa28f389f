#!/usr/bin/env python
"""Where a webhook's Python time goes: the real view, in this process, under cProfile.

    .venv/bin/python bench/webhook_profile.py                    # 3000 message and 3000 status webhooks
    .venv/bin/python bench/webhook_profile.py -n 5000 --top 40 --sort tottime
    .venv/bin/python bench/webhook_profile.py --explain          # and EXPLAIN ANALYZE of the message statement

Drops and recreates a PostgreSQL database (default ``bench_profile``; its name must start with
"bench"), migrates it, puts one allowed sender on the list, then posts signed text webhooks (a
unique wamid each) and the sent/delivered/read status webhooks of as many replies through Django's
test client: the whole request path (middleware, signature, parsing, intake, the Celery publish to
Redis, JSON answer), without gunicorn or a network. Prints the mean microseconds per webhook of
each kind (its time, and the Python CPU of this process), measured once without the profiler, and
the profile's top functions. No worker runs;
the queue is purged at the end. bench/webhook_ingest.py measures throughput under load; this
script says where the time goes.
"""

import argparse
import cProfile
import hashlib
import hmac
import io
import json
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "webhook" / "messages__text.json"
STATUS_FIXTURE = REPO / "tests" / "fixtures" / "webhook" / "statuses__read.json"
SENDER = "16505551234"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--requests", type=int, default=3000, help="webhooks of each kind (default 3000)")
    p.add_argument("--database-url", default="postgres://root@127.0.0.1:5432/bench_profile")
    p.add_argument("--broker-url", default="redis://127.0.0.1:6379/15")
    p.add_argument("--top", type=int, default=30, help="functions shown per profile (default 30)")
    p.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    p.add_argument("--only", default="", help="show only functions whose file:line(name) matches this regex")
    p.add_argument("--dump", default="", help="also write each profile to <DUMP>.message and <DUMP>.status "
                                               "(pstats files, to compare two versions)")
    p.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the one-message statement (its generic plan) once")
    return p.parse_args()


def environment(a, secret: str) -> None:
    metadata = json.loads(FIXTURE.read_bytes())["entry"][0]["changes"][0]["value"]["metadata"]
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": a.database_url,
        "CELERY_BROKER_URL": a.broker_url, "CELERY_TASK_ALWAYS_EAGER": "0", "WHATSAPP_APP_SECRET": secret,
        "WHATSAPP_SANDBOX": "0", "WHATSAPP_VERIFY_TOKEN": "bench", "DJANGO_DEBUG": "0",
        "WHATSAPP_PHONE_NUMBER_ID": metadata["phone_number_id"], "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "testserver", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    })


def recreate_database(url: str) -> None:
    import psycopg
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("bench"):
        raise SystemExit(f"the database name must start with 'bench' (it is dropped): {name!r}")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def message_bodies(n: int) -> list[bytes]:
    document = json.loads(FIXTURE.read_bytes())
    bodies = []
    for i in range(n):
        message = document["entry"][0]["changes"][0]["value"]["messages"][0]
        message.update(id=f"wamid.profile.{i}.{secrets.token_hex(4)}", timestamp=str(int(time.time())))
        bodies.append(json.dumps(document).encode())
    return bodies


def status_bodies(wamids: list[str]) -> list[bytes]:
    document = json.loads(STATUS_FIXTURE.read_bytes())
    bodies = []
    for wamid in wamids:
        for status in ("sent", "delivered", "read"):
            item = document["entry"][0]["changes"][0]["value"]["statuses"][0]
            item.update(id=wamid, status=status, timestamp=str(int(time.time())))
            bodies.append(json.dumps(document).encode())
    return bodies


def post_all(client, bodies: list[bytes], secret: str) -> str:
    """Posts every body; the microseconds each took, of time and of this process's CPU."""
    signed = [(body, sign(body, secret)) for body in bodies]
    started, cpu = time.perf_counter(), time.process_time()
    for body, signature in signed:
        response = client.post("/webhooks/whatsapp/", data=body, content_type="application/json",
                               HTTP_X_HUB_SIGNATURE_256=signature)
        if response.status_code != 200:
            raise SystemExit(f"the webhook answered {response.status_code}: {response.content[:200]!r}")
    wall = (time.perf_counter() - started) / len(bodies) * 1e6
    python = (time.process_time() - cpu) / len(bodies) * 1e6
    return f"{wall:.0f} us each, {python:.0f} us of them Python CPU in this process"


def profiled(client, bodies: list[bytes], secret: str, a, kind: str) -> str:
    profile = cProfile.Profile()
    profile.enable()
    post_all(client, bodies, secret)
    profile.disable()
    if a.dump:
        profile.dump_stats(f"{a.dump}.{kind}")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(a.sort).print_stats(*([a.only] if a.only else []), a.top)
    return out.getvalue()


def replies(n: int) -> list[str]:
    """Outbound messages with a wamid (as if sent), for the status webhooks to move."""
    from django.utils import timezone

    from whatsapp.models import Conversation, Message

    conversation = Conversation.objects.first()
    wamids = [f"wamid.reply.{i}.{secrets.token_hex(4)}" for i in range(n)]
    Message.objects.bulk_create(
        Message(conversation=conversation, direction="out", type="text", text="Thanks", status="sent",
                timestamp=timezone.now(), wamid=wamid) for wamid in wamids)
    return wamids


def explain() -> str:
    """EXPLAIN ANALYZE of the one-message statement as the prepared statement runs it (a generic
    plan: the parameters unknown when planned), for one more message of the sender."""
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from whatsapp.intake.postgres import PostgresStore
    from whatsapp.payloads import parse_body

    (inbound,) = parse_body(message_bodies(1)[0]).messages
    statement, values = PostgresStore().message_statement(inbound, event_id=None, now=timezone.now(), ours=True)
    text, params = statement.numbered, statement.values(values)
    connection.ensure_connection()
    with psycopg.ClientCursor(connection.connection) as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE profile_probe AS {text}")
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE profile_probe ({', '.join(['%s'] * len(params))})",
                       params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE profile_probe")
        cursor.execute("RESET plan_cache_mode")
    return plan


def main() -> int:
    a = parse_args()
    secret = secrets.token_hex(32)
    environment(a, secret)
    sys.path.insert(0, str(REPO))
    recreate_database(a.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from config.celery import app

    call_command("migrate", "--noinput", verbosity=0)
    call_command("add_member", f"+{SENDER}", "--name", "Profile Sender", "--role", "customer")
    client = Client()
    warm = message_bodies(200)
    post_all(client, warm, secret)
    messages = message_bodies(a.requests)
    print(f"message webhooks: {post_all(client, messages[: a.requests // 2], secret)} (no profiler)")
    wamids = replies(a.requests)
    statuses = status_bodies(wamids)
    third = len(statuses) // 2
    print(f"status webhooks: {post_all(client, statuses[:third], secret)} (no profiler)")
    print("\n== message webhooks, profiled ==")
    print(profiled(client, messages[a.requests // 2:], secret, a, "message"))
    print("== status webhooks, profiled ==")
    print(profiled(client, statuses[third:], secret, a, "status"))
    if a.explain:
        print("== EXPLAIN ANALYZE ==")
        print(explain())
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    return 0


if __name__ == "__main__":
    sys.exit(main())
