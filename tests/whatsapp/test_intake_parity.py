"""The PostgreSQL store (one statement per write) and the ORM store store the same rows: every
fixture in tests/fixtures/webhook, every identity story (number, BSUID beside it, BSUID alone,
changed ids) and statuses in any order, run through the real view once with each store, on the
same PostgreSQL database. Every field of the events, conversations, messages and statuses is
compared, but database ids (compared as positions) and the clock's times."""

import time
from datetime import datetime
from datetime import timezone as dt_timezone

import psycopg
import pytest
from django.db import connection

from accounts.models import User
from tests.conftest import FIXTURES, as_body, fresh, webhook_json
from whatsapp.intake import receive
from whatsapp.intake.orm import OrmStore
from whatsapp.intake.postgres import PostgresStore
from whatsapp.models import Conversation, Message, StatusUpdate, WebhookEvent
from whatsapp.payloads import parse_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BSUID = "US.13491208655302741918"
SENT = datetime(2026, 1, 5, 9, 30, tzinfo=dt_timezone.utc)
# Times the clock (or the fake Graph) decides, not the body: they differ between the two runs.
CLOCK_TIMES = {"received_at", "created_at", "handled_at", "first_attempt_at", "next_attempt_at",
               "inbound_lease_until", "outbox_lease_until"}
# A reply's own id and times come from the fake Graph and the clock; the reply is compared by the rest.
REPLY_ONLY = {"wamid", "timestamp", "sent_at", "payload"}
# Queueing a reply moves its conversation's newest-message time to the clock's.
REPLIED_ONLY = {"last_message_at"}


def sheena():
    return User.objects.create_user(username="sheena", phone_number="+16505551234", first_name="Sheena")


def wrong_person():
    return User.objects.create_user(username="boss", phone_number="+972987654321", bsuid=BSUID,
                                    role=User.Role.MANAGER)


def status_wamids(name: str) -> list[str]:
    document = webhook_json(name)
    return [s["id"] for e in document["entry"] for c in e["changes"] for s in c["value"].get("statuses", [])]


def sheena_with_our_messages(*wamids: str):
    """Sheena, and our messages to her (sent) that the statuses of the story report on, if any."""
    def setup():
        person = sheena()
        if wamids:
            conversation = Conversation.objects.create(phone_number_id="106540352242922", contact_key="16505551234",
                                                       wa_id="16505551234", user=person, last_inbound_at=SENT)
            for wamid in wamids:
                Message.objects.create(conversation=conversation, direction="out", type="text", text="Your invoice",
                                       status="sent", wamid=wamid, timestamp=SENT)
        return person
    return setup


def status(name: str, timestamp_offset: int):
    """The read fixture, reporting `name` this many seconds after the story starts."""
    def body(now: int) -> bytes:
        document = webhook_json("statuses__read")
        document["entry"][0]["changes"][0]["value"]["statuses"][0].update(status=name,
                                                                           timestamp=str(now + timestamp_offset))
        return as_body(document)
    return body


def a_former_colleagues_number(*, given_to_someone: bool):
    """Bo's conversation is under Sheena's number, which staff took off him (and, maybe, gave her)."""
    def setup():
        bo = User.objects.create_user(username="bo", first_name="Bo")
        Conversation.objects.create(phone_number_id="106540352242922", contact_key="16505551234",
                                    wa_id="16505551234", bsuid="US.20571846293015728364", user=bo, private=True)
        return sheena() if given_to_someone else bo
    return setup


READ_WAMID = status_wamids("statuses__read")[0]
STORIES = {
    "both ids, then the BSUID alone": (sheena, ["messages__text_with_user_id", "messages__text_user_id_only"]),
    "a stranger's BSUID, then both ids": (sheena, ["messages__text_user_id_only", "messages__text_with_user_id",
                                                    "messages__text_user_id_only"]),
    "the number, the BSUID alone, then both": (sheena, ["messages__text", "messages__text_user_id_only",
                                                        "messages__text_with_user_id",
                                                        "messages__text_user_id_only"]),
    "a changed BSUID": (sheena, ["messages__text_with_user_id", "messages__system_user_changed_user_id"]),
    "a changed number": (sheena, ["messages__text_with_user_id",
                                  "messages__system_user_changed_number_with_user_id", "messages__text"]),
    "a BSUID on the wrong person": (wrong_person, ["messages__text_with_user_id", "messages__text_user_id_only"]),
    "a former colleague's number given to someone": (a_former_colleagues_number(given_to_someone=True),
                                                     ["messages__text", "messages__text_with_user_id"]),
    "a stranger on a former colleague's number": (a_former_colleagues_number(given_to_someone=False),
                                                  ["messages__text_with_user_id", "messages__text"]),
    "statuses in order": (sheena_with_our_messages(READ_WAMID),
                          [status("sent", 1), status("delivered", 2), status("read", 3)]),
    "statuses out of order": (sheena_with_our_messages(READ_WAMID),
                              [status("read", 3), status("sent", 1), status("delivered", 2), status("read", 3)]),
    "a played voice note after read": (sheena_with_our_messages(READ_WAMID),
                                       [status("read", 3), status("played", 4), status("delivered", 2)]),
}
EVERY_FIXTURE = {
    name: (sheena_with_our_messages(*status_wamids(name)), [name])
    for name in sorted(p.stem for p in (FIXTURES / "webhook").glob("*.json"))
}


def rows(model, order, *, ids: dict, skip=lambda obj: set()) -> list[dict]:
    """Every concrete field of every row but the primary key and the clock's times; a foreign key
    as the position of the row it points to (or the person's username)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in CLOCK_TIMES]
    out = []
    for obj in model.objects.order_by(*order):
        row = {}
        for field in fields:
            value = getattr(obj, field.attname)
            if field.is_relation and value is not None:
                value = ids[field.related_model].get(value, value)
            row[field.name] = value
        for name in skip(obj):
            row.pop(name)
        if model is Conversation and row["contact_key"].startswith("#"):
            row["contact_key"] = "#"
        out.append(row)
    return out


def snapshot() -> dict:
    """Everything intake decided, with database ids replaced by positions."""
    ids = {model: {pk: n for n, pk in enumerate(model.objects.order_by("pk").values_list("pk", flat=True))}
           for model in (WebhookEvent, Conversation, Message)}
    ids[User] = dict(User.objects.values_list("pk", "username"))
    return {
        "events": rows(WebhookEvent, ["pk"], ids=ids),
        "conversations": rows(Conversation, ["pk"], ids=ids, skip=lambda c: REPLIED_ONLY if c.messages.filter(
            in_reply_to__isnull=False).exists() else set()),
        "messages": rows(Message, ["pk"], ids=ids, skip=lambda m: REPLY_ONLY if m.in_reply_to_id else set()),
        "statuses": rows(StatusUpdate, ["wamid", "status"], ids=ids),
        "people": list(User.objects.order_by("username").values_list("username", "phone_number", "bsuid")),
    }


def run(story, now: int, signed_post, django_capture_on_commit_callbacks) -> dict:
    setup, steps = story
    setup()
    for step, name in enumerate(steps):
        body = name(now) if callable(name) else fresh(name, at=now + step, id=f"wamid.step{step}")
        with django_capture_on_commit_callbacks(execute=True):
            assert signed_post(body).status_code == 200
    result = snapshot()
    for model in (StatusUpdate, Message, Conversation, WebhookEvent, User):
        model.objects.all().delete()
    return result


@pytest.mark.parametrize("story", [*STORIES, *EVERY_FIXTURE])
def test_both_intake_paths_store_the_same(story, signed_post, django_capture_on_commit_callbacks, monkeypatch):
    definition, now = STORIES.get(story) or EVERY_FIXTURE[story], int(time.time())
    monkeypatch.setattr(receive, "_store", PostgresStore())
    one_statement = run(definition, now, signed_post, django_capture_on_commit_callbacks)
    monkeypatch.setattr(receive, "_store", OrmStore())
    orm = run(definition, now, signed_post, django_capture_on_commit_callbacks)
    assert one_statement == orm
    assert one_statement["events"], "the story stored nothing"


def test_postgresql_gets_the_one_statement_store(monkeypatch):
    monkeypatch.setattr(receive, "_store", None)
    assert isinstance(receive.intake_store(), PostgresStore)


def test_the_prepared_statement_finds_the_person_and_the_conversation_by_index(db):
    """The webhook statement is prepared, so PostgreSQL may run it with a generic plan (parameters
    unknown): the identity lookups must still use the unique indexes on the number and the BSUID,
    never read every conversation or every person."""
    Conversation.objects.bulk_create(
        Conversation(phone_number_id="106540352242922", contact_key=str(15550000000 + n), wa_id=str(15550000000 + n))
        for n in range(1000))
    User.objects.bulk_create(User(username=f"p{n}", phone_number=f"+1555100{n:04d}") for n in range(1000))
    (inbound,) = parse_body(fresh("messages__text_with_user_id")).messages
    statement, values = PostgresStore().message_statement(inbound, event_id=None, now=inbound.timestamp, ours=True)
    prepared, params = statement.numbered, statement.values(values)
    connection.ensure_connection()
    with psycopg.ClientCursor(connection.connection) as cursor:
        cursor.execute("ANALYZE whatsapp_conversation; ANALYZE accounts_user")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE webhook_probe AS {prepared}")
        cursor.execute(f"EXPLAIN EXECUTE webhook_probe ({', '.join(['%s'] * len(params))})", params)
        explained = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE webhook_probe")
    assert "(phone_number_id)::text = $" in explained  # the generic plan: values unknown when planned
    assert "Seq Scan on whatsapp_conversation" not in explained
    assert "Seq Scan on accounts_user" not in explained
    assert "conversation_per_wa_id" in explained and "conversation_per_bsuid" in explained
