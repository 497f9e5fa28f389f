"""Inbound pipeline: read receipt, the reply handler seam, idempotency, order, leases, failures."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import fresh
from whatsapp import inbound
from whatsapp.models import Conversation, Message
from whatsapp.leases import BUSY_RETRY_SECONDS
from whatsapp.inbound import FALLBACK_TEXT, inbound_handle
from whatsapp.replies import Reply
from whatsapp.tasks import inbound_handle_task

CALLS: list = []


# --- reply handlers plugged in through settings.WHATSAPP_REPLY_HANDLER ------------------------------
def echo(conversation, message):
    return Reply(text=f"About: {message.text}")


def recording(conversation, message):
    CALLS.append((conversation, message))
    return Reply(text=f"Hello {conversation.profile_name}", buttons=[("yes", "Yes"), ("no", "No")])


def broken(conversation, message):
    raise RuntimeError("the model is down")


def silent(conversation, message):
    return None


def plain_string(conversation, message):
    return "  Just a string.  "


@pytest.fixture
def handler(settings):
    def use(name: str):
        settings.WHATSAPP_REPLY_HANDLER = f"tests.whatsapp.test_pipeline.{name}"
        CALLS.clear()

    return use


def wamid_of_fixture() -> str:
    from tests.conftest import messages_of, webhook_json

    return messages_of(webhook_json("messages__text"))[0]["id"]


# --- the happy path ------------------------------------------------------------------------------
def test_an_allowed_sender_gets_a_read_receipt_with_typing_then_the_reply(deliver, member, graph):
    deliver(fresh("messages__text"))
    assert graph.read_receipts() == [{"messaging_product": "whatsapp", "status": "read",
                                      "message_id": wamid_of_fixture(), "typing_indicator": {"type": "text"}}]
    assert graph.texts() == ["Got it, thanks. Your message is saved."]
    posts = [r.body for r in graph.requests if r.method == "POST"]
    assert b'"status": "read"' in posts[0]  # the receipt comes before the reply
    inbound = Message.objects.get(direction="in")
    assert inbound.status == "handled" and inbound.handled_at is not None
    reply = Message.objects.get(direction="out")
    assert reply.in_reply_to_id == inbound.pk
    assert reply.status == "sent"


def test_a_custom_reply_handler_receives_the_conversation_and_message_and_its_reply_is_sent(
        deliver, member, graph, handler):
    handler("recording")
    deliver(fresh("messages__text"))
    ((conversation, message),) = CALLS
    assert isinstance(conversation, Conversation) and conversation.profile_name == "Sheena Nelson"
    assert conversation.user == member
    assert isinstance(message, Message) and message.text == "Does it come in another color?"
    (body,) = graph.sent()
    assert body["type"] == "interactive"
    assert body["interactive"]["body"] == {"text": "Hello Sheena Nelson"}
    assert [b["reply"] for b in body["interactive"]["action"]["buttons"]] == [
        {"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}]


def test_a_handler_returning_a_plain_string_is_sent_as_text(deliver, member, graph, handler):
    handler("plain_string")
    deliver(fresh("messages__text"))
    assert graph.texts() == ["Just a string."]


def test_a_handler_returning_none_sends_nothing_and_marks_the_message_handled(deliver, member, graph, handler):
    handler("silent")
    deliver(fresh("messages__text"))
    assert graph.sent() == []
    assert Message.objects.get(direction="in").status == "handled"
    assert not Message.objects.filter(direction="out").exists()


def test_a_handler_that_raises_still_gets_the_person_a_polite_answer_and_records_the_error(
        deliver, member, graph, handler):
    handler("broken")
    deliver(fresh("messages__text"))
    assert graph.texts() == [FALLBACK_TEXT]
    inbound = Message.objects.get(direction="in")
    assert inbound.status == "handled"
    assert inbound.error_details == "RuntimeError: the model is down"


def test_a_paused_conversation_gets_no_automatic_reply(signed_post, member, graph):
    signed_post(fresh("messages__text"))  # stored; its task has not run yet
    Conversation.objects.update(bot_paused=True)
    message = Message.objects.get(direction="in")
    assert inbound_handle(message_id=message.pk) is None
    assert graph.sent() == []
    assert graph.read_receipts() == []  # the person taking over reads it
    message.refresh_from_db()
    assert message.status == "handled"
    assert not Message.objects.filter(direction="out").exists()


# --- idempotency ---------------------------------------------------------------------------------
def test_running_the_task_again_for_the_same_message_sends_no_second_reply(deliver, member, graph):
    deliver(fresh("messages__text"))
    message = Message.objects.get(direction="in")
    inbound_handle_task(message.pk)  # a Celery retry / redelivery after a worker died
    inbound_handle_task.delay(message.pk)
    assert inbound_handle(message_id=message.pk) is None
    assert len(graph.texts()) == 1
    assert len(graph.read_receipts()) == 1
    assert Message.objects.filter(direction="out").count() == 1


def test_a_message_already_handled_whose_reply_is_still_queued_is_not_answered_twice(
        signed_post, member, graph, django_capture_on_commit_callbacks):
    signed_post(fresh("messages__text"))
    message = Message.objects.get(direction="in")
    inbound_handle(message_id=message.pk)  # the worker died before the outbox was flushed
    assert Message.objects.get(direction="out").status == "queued"
    with django_capture_on_commit_callbacks(execute=True):
        inbound_handle(message_id=message.pk)
    assert Message.objects.filter(direction="out").count() == 1


def test_an_unknown_message_id_is_ignored(db, graph):
    assert inbound_handle(message_id=999_999) is None
    assert graph.requests == []


def test_a_message_from_someone_not_allowed_is_not_handled_even_if_its_task_runs(signed_post, graph, db):
    signed_post(fresh("messages__text"))  # nobody is on the allow-list
    message = Message.objects.get(direction="in")
    assert message.status == "ignored"
    inbound_handle(message_id=message.pk)
    assert graph.requests == []
    message.refresh_from_db()
    assert message.status == "ignored"


# --- one at a time, in order ---------------------------------------------------------------------
def test_while_another_worker_holds_the_conversation_the_task_does_nothing_and_asks_to_come_back(
        signed_post, member, graph):
    signed_post(fresh("messages__text"))
    Conversation.objects.update(inbound_lease_until=timezone.now() + timedelta(minutes=5))
    message = Message.objects.get(direction="in")
    assert inbound_handle(message_id=message.pk) == BUSY_RETRY_SECONDS
    assert graph.requests == []
    message.refresh_from_db()
    assert message.status == "received"


def test_a_lease_left_by_a_dead_worker_expires_and_the_message_is_answered(signed_post, member, graph):
    signed_post(fresh("messages__text"))
    Conversation.objects.update(inbound_lease_until=timezone.now() - timedelta(seconds=1))
    message = Message.objects.get(direction="in")
    assert inbound_handle(message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "handled"
    assert Conversation.objects.get().inbound_lease_until is None  # let go when done


def test_each_start_of_handling_is_counted_before_the_work(signed_post, member, graph, handler):
    signed_post(fresh("messages__text"))
    message = Message.objects.get(direction="in")
    inbound_handle(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("handled", 1)


def test_a_message_whose_handling_never_finishes_is_given_up_with_an_apology(
        signed_post, member, graph, handler, settings, django_capture_on_commit_callbacks):
    """Every start so far died with its worker (out of memory, killed): no endless retries."""
    settings.WHATSAPP_INBOUND_MAX_ATTEMPTS = 3
    handler("recording")
    signed_post(fresh("messages__text"))
    message = Message.objects.get(direction="in")
    Message.objects.filter(pk=message.pk).update(attempts=3)
    CALLS.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_handle(message_id=message.pk) is None
    message.refresh_from_db()
    assert message.status == "handled" and message.attempts == 4
    assert "started 3 times and never finished" in message.error_details
    assert CALLS == []  # the handler that kept dying is not called again
    assert graph.texts() == [inbound.GAVE_UP_TEXT]


def test_a_busy_conversation_does_not_recurse_when_tasks_run_eagerly(signed_post, member, graph):
    signed_post(fresh("messages__text"))
    Conversation.objects.update(inbound_lease_until=timezone.now() + timedelta(minutes=5))
    message = Message.objects.get(direction="in")
    inbound_handle_task.delay(message.pk)  # eager: a countdown cannot be honoured, so it stops here
    message.refresh_from_db()
    assert message.status == "received"  # left for the sweeper


def test_a_lease_on_one_conversation_does_not_hold_up_another(signed_post, member, graph, db):
    from accounts.models import User

    User.objects.create_user(username="bob", phone_number="+16505550000", role=User.Role.STAFF)
    signed_post(fresh("messages__text"))
    signed_post(fresh("messages__text", id="wamid.bob", **{"from": "16505550000"}))
    sheena = Conversation.objects.get(wa_id="16505551234")
    Conversation.objects.filter(pk=sheena.pk).update(inbound_lease_until=timezone.now() + timedelta(minutes=5))
    bob_message = Message.objects.get(wamid="wamid.bob")
    assert bob_message.conversation_id != sheena.pk
    assert inbound_handle(message_id=bob_message.pk) is None
    bob_message.refresh_from_db()
    assert bob_message.status == "handled"


def test_messages_of_one_conversation_are_handled_in_meta_timestamp_order(
        signed_post, member, graph, handler, django_capture_on_commit_callbacks):
    handler("echo")
    now = int(time.time())
    # They arrive out of order: the later message first.
    signed_post(fresh("messages__text", at=now - 5, id="wamid.second", text={"body": "second"}))
    signed_post(fresh("messages__text", at=now - 10, id="wamid.first", text={"body": "first"}))
    later = Message.objects.get(wamid="wamid.second")
    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_handle(message_id=later.pk) is None
    assert graph.texts() == ["About: first", "About: second"]
    assert [b["message_id"] for b in graph.read_receipts()] == ["wamid.first", "wamid.second"]
    assert set(Message.objects.filter(direction="in").values_list("status", flat=True)) == {"handled"}


def test_the_reply_handler_is_called_one_message_at_a_time(signed_post, member, graph, handler, monkeypatch):
    """While a message is being answered the conversation's lease is held."""
    seen = []

    def watching(conversation, message):
        seen.append(Conversation.objects.get(pk=conversation.pk).inbound_lease_until)
        return None

    monkeypatch.setattr(inbound, "reply_handler", lambda: watching)
    signed_post(fresh("messages__text"))
    inbound_handle(message_id=Message.objects.get(direction="in").pk)
    assert len(seen) == 1 and seen[0] is not None and seen[0] > timezone.now()


def test_a_person_writing_again_releases_their_held_replies_before_the_new_answer(
        deliver, member, graph, handler, settings):
    handler("echo")
    deliver(fresh("messages__text", at=int(time.time()) - 25 * 3600))
    assert Message.objects.get(direction="out", type="text").status == "held"
    deliver(fresh("messages__text", id="wamid.back", text={"body": "back"}))
    assert graph.texts() == ["About: Does it come in another color?", "About: back"]


def test_a_database_error_at_the_end_is_retried_without_counting_as_a_dead_worker(
        signed_post, member, graph, monkeypatch):
    from django.db import OperationalError

    signed_post(fresh("messages__text"))
    message = Message.objects.get(direction="in")

    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(inbound, "_mark_handled", database_gone)
    with pytest.raises(OperationalError):
        inbound_handle(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("received", 0)  # the task's retry starts afresh
