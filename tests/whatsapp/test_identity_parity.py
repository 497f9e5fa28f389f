"""The PostgreSQL one-statement intake and the ORM intake store the same thing: every message fixture,
and every identity story (number, BSUID beside it, BSUID alone, changed ids), run through the real
view once on each path, on the same PostgreSQL database."""

import time

import psycopg
import pytest
from django.db import connection

from accounts.models import User
from tests.conftest import FIXTURES, fresh
from whatsapp import intake_sql, services
from whatsapp.models import Conversation, Message, StatusUpdate, WebhookEvent
from whatsapp.payloads import parse_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BSUID = "US.13491208655302741918"


def sheena():
    return User.objects.create_user(username="sheena", phone_number="+16505551234", first_name="Sheena")


def wrong_person():
    return User.objects.create_user(username="boss", phone_number="+972987654321", bsuid=BSUID,
                                    role=User.Role.MANAGER)


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
}
EVERY_FIXTURE = {name: (sheena, [name]) for name in sorted(p.stem for p in (FIXTURES / "webhook").glob("*.json"))}


def snapshot() -> dict:
    """Everything intake decided, with database ids replaced by order."""
    conversations = list(Conversation.objects.order_by("pk"))
    index = {c.pk: i for i, c in enumerate(conversations)}
    return {
        "conversations": [(c.wa_id, c.bsuid, c.user.username if c.user else None, c.profile_name,
                           c.contact_key if not c.contact_key.startswith("#") else "#", c.last_inbound_at)
                          for c in conversations],
        # Replies only by what they say: their wamids and times are the fake Graph's and the clock's.
        "messages": [(index[m.conversation_id], m.direction, m.wamid if m.direction == "in" else "", m.type,
                      m.status, m.sender_allowed, m.text)
                     for m in Message.objects.order_by("conversation_id", "direction", "timestamp", "pk")],
        "people": list(User.objects.order_by("username").values_list("username", "phone_number", "bsuid")),
        "events": list(WebhookEvent.objects.order_by("pk").values_list("status", "message_count", "error")),
        "statuses": list(StatusUpdate.objects.order_by("wamid", "status").values_list(
            "wamid", "status", "timestamp", "recipient_id", "recipient_user_id", "errors")),
    }


def run(story, now: int, signed_post, django_capture_on_commit_callbacks) -> dict:
    setup, names = story
    setup()
    for step, name in enumerate(names):
        body = fresh(name, at=now + step, id=f"wamid.step{step}")
        with django_capture_on_commit_callbacks(execute=True):
            assert signed_post(body).status_code == 200
    result = snapshot()
    for model in (StatusUpdate, Message, Conversation, WebhookEvent, User):
        model.objects.all().delete()
    return result


@pytest.mark.parametrize("story", [*STORIES, *EVERY_FIXTURE])
def test_both_intake_paths_store_the_same(story, signed_post, django_capture_on_commit_callbacks, monkeypatch):
    definition, now = STORIES.get(story) or EVERY_FIXTURE[story], int(time.time())
    one_statement = run(definition, now, signed_post, django_capture_on_commit_callbacks)
    monkeypatch.setattr(services, "one_statement_path", lambda: False)
    orm = run(definition, now, signed_post, django_capture_on_commit_callbacks)
    assert one_statement == orm


def test_the_prepared_statement_finds_the_person_and_the_conversation_by_index(db):
    """The webhook statement is prepared, so PostgreSQL may run it with a generic plan (parameters
    unknown): the identity lookups must still use the unique indexes on the number and the BSUID,
    never read every conversation or every person."""
    Conversation.objects.bulk_create(
        Conversation(phone_number_id="106540352242922", contact_key=str(15550000000 + n), wa_id=str(15550000000 + n))
        for n in range(1000))
    User.objects.bulk_create(User(username=f"p{n}", phone_number=f"+1555100{n:04d}") for n in range(1000))
    (inbound,) = parse_body(fresh("messages__text_with_user_id")).messages
    sql, plan, variable, constants, _, _ = intake_sql._statement(False)
    params = intake_sql._message_params(inbound, inbound.timestamp, plan, variable, constants, None,
                                        ours=True, with_event_id=True)
    numbered = sql.split("%s")
    prepared = "".join(part + (f"${n}" if n < len(numbered) else "") for n, part in enumerate(numbered, 1))
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
