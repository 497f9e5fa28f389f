"""Every accepted body is one webhook event row, stored with what it causes.

On PostgreSQL a body with one message, or one status, and nothing else (nearly all of Meta's) is
stored, event row included, by one statement; these tests hold on every backend and every path.
"""

import json
from datetime import timezone as dt_timezone

import psycopg
import pytest

from tests.conftest import as_body, fresh
from tests.whatsapp.test_statuses import SENT_AT, at, status_body
from tests.whatsapp.test_statuses import conversation, outbound  # noqa: F401 (fixtures)
from whatsapp.models import Conversation, Message, StatusUpdate, WebhookEvent


def test_a_one_message_body_is_one_event_row_linked_to_its_message(signed_post, member):
    body = fresh("messages__text")
    response = signed_post(body)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert response.json() == {"status": "ok", "event": event.pk}
    assert bytes(event.body) == body
    assert (event.status, event.message_count, event.status_count, event.error) == ("processed", 1, 0, "")
    assert event.received_at.tzinfo == dt_timezone.utc
    message = Message.objects.get()
    assert message.webhook_event == event
    assert (message.conversation.user, message.status, message.sender_allowed) == (member, "received", True)


def test_a_redelivered_one_message_body_is_a_second_event_row_and_no_second_message(signed_post, member):
    body = fresh("messages__text")
    first = signed_post(body).json()["event"]
    second = signed_post(body).json()["event"]
    assert second != first
    assert list(WebhookEvent.objects.order_by("id").values_list("pk", "message_count")) == [(first, 1), (second, 1)]
    assert Message.objects.get().webhook_event_id == first


def test_an_unreadable_item_beside_the_one_message_is_noted_on_the_event(signed_post, member):
    document = json.loads(fresh("messages__text"))
    messages = document["entry"][0]["changes"][0]["value"]["messages"]
    messages.append({"from": "16505551234", "type": "text", "text": {"body": "no id, no timestamp"}})
    assert signed_post(as_body(document)).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.message_count == 1
    assert event.error == "message #2: no id"
    assert Message.objects.get().text == "Does it come in another color?"


def test_a_stranger_s_one_message_body_is_stored_flagged_and_not_queued(signed_post, db,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert signed_post(fresh("messages__text")).status_code == 200
    message = Message.objects.get()
    assert (message.status, message.sender_allowed, message.conversation.user) == ("ignored", False, None)
    assert message.webhook_event == WebhookEvent.objects.get()
    assert callbacks == []


def test_a_one_message_body_queues_its_handling_only_after_commit(signed_post, member,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        signed_post(fresh("messages__text"))
    assert len(callbacks) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_error_in_the_one_statement_answers_503_and_stores_nothing(signed_post, monkeypatch, caplog):
    def fail(self, *args, **kwargs):
        raise psycopg.OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(psycopg.Cursor, "execute", fail)
    response = signed_post(fresh("messages__text"))
    monkeypatch.undo()
    assert response.status_code == 503
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    assert (WebhookEvent.objects.count(), Message.objects.count(), Conversation.objects.count()) == (0, 0, 0)


# --- one status and nothing else (3 of every 4 webhooks: sent, delivered, read) ------------------------
def test_a_one_status_body_is_one_event_row_linked_to_its_status(signed_post, outbound):
    body = status_body("delivered")
    response = signed_post(body)
    event = WebhookEvent.objects.get()
    assert response.json() == {"status": "ok", "event": event.pk}
    assert (bytes(event.body), event.message_count, event.status_count, event.error) == (body, 0, 1, "")
    update = StatusUpdate.objects.get()
    assert (update.webhook_event, update.message, update.status) == (event, outbound, "delivered")
    assert update.received_at.tzinfo == dt_timezone.utc
    outbound.refresh_from_db()
    assert (outbound.status, outbound.delivered_at) == ("delivered", at(SENT_AT + 10))


def test_a_status_naming_a_message_we_received_is_recorded_but_moves_nothing(signed_post, outbound):
    inbound = Message.objects.create(conversation=outbound.conversation, direction="in", type="text",
                                     wamid="wamid.theirs", text="Hi", status="handled", timestamp=at(SENT_AT))
    assert signed_post(status_body("read", wamid="wamid.theirs")).status_code == 200
    assert StatusUpdate.objects.get().message is None
    inbound.refresh_from_db()
    assert (inbound.status, inbound.read_at) == ("handled", None)


# --- the one statement is prepared once per connection, and nothing else is -------------------------
def server_prepared_statements() -> list[tuple[str, int]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return cursor.fetchall()


@pytest.mark.postgres
def test_the_webhook_statement_is_prepared_once_and_django_s_queries_are_not_remembered(signed_post, member):
    from django.db import connection

    for _ in range(3):
        assert signed_post(fresh("messages__text")).status_code == 200
    (statement, executions), = server_prepared_statements()
    assert "INSERT INTO \"whatsapp_message\"" in statement and executions == 3
    # psycopg's preparing is on only for that statement: it keeps no copy of other queries' text
    # (Django writes the values, webhook bodies included, into it).
    assert connection.connection.prepare_threshold is None
    Message.objects.filter(text="x" * 10000).exists()
    prepared = connection.connection._prepared
    remembered = [key[0] for key in (*prepared._counts, *prepared._names)]
    assert len(remembered) == 1 and b"x" * 10000 not in remembered[0]


@pytest.mark.postgres
def test_behind_a_pooler_that_cannot_keep_them_nothing_is_prepared(signed_post, member, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    assert signed_post(fresh("messages__text")).status_code == 200
    assert signed_post(status_body("read", wamid=Message.objects.get().wamid)).status_code == 200
    assert server_prepared_statements() == []
    assert Message.objects.get().status == "received"
