"""Meta redelivers: a message is stored once, keyed by its wamid, and answered once."""

import json

import pytest

from tests.conftest import as_body, fresh
from whatsapp.models import Message, WebhookEvent


def test_a_redelivered_body_is_stored_once_and_answered_once(deliver, member, graph):
    body = fresh("messages__text")
    first, _ = deliver(body)
    second, callbacks = deliver(body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert Message.objects.filter(direction="in").count() == 1
    assert graph.texts() == ["Got it, thanks. Your message is saved."]
    assert len(graph.read_receipts()) == 1
    assert Message.objects.filter(direction="out").count() == 1
    assert callbacks == []  # the redelivery queued no work at all


def test_every_delivery_is_kept_raw_even_a_duplicate(deliver, member):
    body = fresh("messages__text")
    deliver(body)
    deliver(body)
    events = WebhookEvent.objects.order_by("id")
    assert [bytes(e.body) for e in events] == [body, body]
    assert Message.objects.get(direction="in").webhook_event == events[0]


def test_the_same_message_id_in_a_different_body_is_deduplicated(deliver, member, graph):
    single = fresh("messages__text")
    deliver(single)
    document = json.loads(single)
    value = document["entry"][0]["changes"][0]["value"]
    value["messages"].append(dict(value["messages"][0], id="wamid.new-one", text={"body": "And in blue?"}))
    response, _ = deliver(as_body(document))
    assert response.status_code == 200
    assert sorted(Message.objects.filter(direction="in").values_list("text", flat=True)) == [
        "And in blue?", "Does it come in another color?"]
    assert len(graph.texts()) == 2  # one answer each, none twice


def test_a_duplicate_id_keeps_the_first_content_stored(signed_post, db):
    # Meta's own samples reuse one wamid for a text and an image: the first one stored stays.
    signed_post(fresh("messages__text"))
    assert signed_post(fresh("messages__image")).status_code == 200
    message = Message.objects.get()
    assert (message.type, message.text) == ("text", "Does it come in another color?")


@pytest.mark.django_db
def test_a_duplicate_within_one_body_is_stored_once(signed_post):
    document = json.loads(fresh("messages__text"))
    messages = document["entry"][0]["changes"][0]["value"]["messages"]
    messages.append(dict(messages[0]))
    assert signed_post(as_body(document)).status_code == 200
    assert Message.objects.count() == 1
