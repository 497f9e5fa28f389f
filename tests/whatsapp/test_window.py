"""The 24-hour customer-service window: derived from Meta's timestamps of the person's messages."""

import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import fresh
from whatsapp.models import Conversation, Message
from whatsapp.replies import Reply

HOUR = 3600


def echo(conversation, message):
    """A reply handler that makes each answer tell which message it answers."""
    return Reply(text=f"About: {message.text}")


@pytest.fixture
def echoing(settings, catalogue):
    settings.WHATSAPP_REPLY_HANDLER = "tests.whatsapp.test_window.echo"


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


@pytest.mark.django_db
def test_an_inbound_message_opens_the_window_until_its_timestamp_plus_24_hours(signed_post):
    sent = int(time.time()) - 60
    signed_post(fresh("messages__text", at=sent))
    conversation = Conversation.objects.get()
    assert conversation.last_inbound_at == at(sent)
    assert conversation.window_expires_at == at(sent) + timedelta(hours=24)
    assert conversation.window_open() is True
    assert conversation.window_open(at(sent + 24 * HOUR - 1)) is True
    assert conversation.window_open(at(sent + 24 * HOUR)) is False


@pytest.mark.django_db
def test_the_window_is_closed_when_the_last_inbound_is_older_than_24_hours(signed_post):
    signed_post(fresh("messages__text", at=int(time.time()) - 25 * HOUR))
    conversation = Conversation.objects.get()
    assert conversation.window_open() is False


@pytest.mark.django_db
def test_a_conversation_without_inbound_messages_has_no_window(db):
    conversation = Conversation.objects.create(phone_number_id="1", contact_key="16505551234", wa_id="16505551234")
    assert conversation.window_expires_at is None
    assert conversation.window_open() is False


@pytest.mark.django_db
def test_a_later_message_extends_the_window(signed_post):
    now = int(time.time())
    signed_post(fresh("messages__text", at=now - 20 * HOUR))
    signed_post(fresh("messages__text", at=now - 60, id="wamid.newer"))
    assert Conversation.objects.get().window_expires_at == at(now - 60) + timedelta(hours=24)


@pytest.mark.django_db
def test_an_older_message_arriving_late_does_not_shorten_the_window(signed_post):
    now = int(time.time())
    signed_post(fresh("messages__text", at=now - 60))
    signed_post(fresh("messages__text", at=now - 30 * HOUR, id="wamid.older"))
    conversation = Conversation.objects.get()
    assert conversation.last_inbound_at == at(now - 60)
    assert conversation.window_open() is True


def test_a_reply_outside_the_window_goes_out_as_the_reengagement_template(deliver, member, graph, echoing, settings):
    deliver(fresh("messages__text", at=int(time.time()) - 25 * HOUR))
    (sent,) = graph.sent()
    assert sent["type"] == "template"
    assert sent["to"] == "+16505551234"
    assert (sent["template"]["name"], sent["template"]["language"]) == (settings.WHATSAPP_REENGAGEMENT_TEMPLATE,
                                                                        {"code": "en_US"})
    assert graph.texts() == []
    held = Message.objects.get(direction="out", type="text")
    assert held.status == "held"
    assert held.text == "About: Does it come in another color?"


def test_a_held_text_is_sent_before_the_new_reply_when_the_person_writes_again(deliver, member, graph, echoing):
    deliver(fresh("messages__text", at=int(time.time()) - 25 * HOUR))
    deliver(fresh("messages__text", id="wamid.back", text={"body": "Hi, I'm back"}))
    assert graph.texts() == ["About: Does it come in another color?", "About: Hi, I'm back"]
    assert [b["type"] for b in graph.sent()] == ["template", "text", "text"]
    assert set(Message.objects.filter(direction="out", type="text").values_list("status", flat=True)) == {"sent"}


def test_only_one_reengagement_template_goes_out_while_waiting_for_the_person(deliver, member, graph, echoing):
    old = int(time.time()) - 25 * HOUR
    deliver(fresh("messages__text", at=old))
    deliver(fresh("messages__text", at=old + 1, id="wamid.also-old", text={"body": "and another"}))
    assert [b["type"] for b in graph.sent()] == ["template"]
    assert Message.objects.filter(direction="out", type="text", status="held").count() == 2
