"""Meta batches: every entry, every change, every message, status and error of a body is handled."""

import copy
from datetime import datetime, timezone

import pytest

from tests.conftest import as_body, webhook_fixture, webhook_json
from whatsapp.models import ChannelAlert, Conversation, Message, StatusUpdate, WebhookEvent

pytestmark = pytest.mark.django_db


def text_message(wamid: str, body: str, timestamp: int, sender: str = "16505551234") -> dict:
    return {"from": sender, "id": wamid, "timestamp": str(timestamp), "type": "text", "text": {"body": body}}


def status(wamid: str, name: str, timestamp: int = 1750030073) -> dict:
    return {"id": wamid, "status": name, "timestamp": str(timestamp), "recipient_id": "16505551234"}


def change(messages=(), statuses=(), contacts=None) -> dict:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"}}
    if messages:
        value["contacts"] = contacts or [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {"field": "messages", "value": value}


def body_of(*entries) -> bytes:
    return as_body({"object": "whatsapp_business_account",
                    "entry": [{"id": "102290129340398", "changes": list(changes)} for changes in entries]})


def test_it_stores_every_message_and_status_of_every_change_of_every_entry(signed_post):
    body = body_of(
        [change(messages=[text_message("wamid.a1", "one", 1750000001), text_message("wamid.a2", "two", 1750000002)],
                statuses=[status("wamid.out1", "sent")]),
         change(messages=[text_message("wamid.b1", "three", 1750000003)],
                statuses=[status("wamid.out1", "delivered"), status("wamid.out2", "sent")])],
        [change(messages=[text_message("wamid.c1", "four", 1750000004), text_message("wamid.c2", "five", 1750000005),
                          text_message("wamid.c3", "six", 1750000006)]),
         change(messages=[text_message("wamid.d1", "seven", 1750000007, sender="447700900123")],
                contacts=[{"profile": {"name": "Ann Lee"}, "wa_id": "447700900123"}],
                statuses=[status("wamid.out2", "read"), status("wamid.out3", "failed")])],
    )
    response = signed_post(body)
    assert response.status_code == 200
    inbound = Message.objects.filter(direction="in").order_by("timestamp")
    assert [m.text for m in inbound] == ["one", "two", "three", "four", "five", "six", "seven"]
    assert sorted((s.wamid, s.status) for s in StatusUpdate.objects.all()) == [
        ("wamid.out1", "delivered"), ("wamid.out1", "sent"), ("wamid.out2", "read"), ("wamid.out2", "sent"),
        ("wamid.out3", "failed")]
    event = WebhookEvent.objects.get()
    assert (event.message_count, event.status_count) == (7, 5)
    assert {m.webhook_event_id for m in inbound} == {event.pk}
    assert Conversation.objects.count() == 2
    assert Conversation.objects.get(wa_id="447700900123").messages.get().text == "seven"


def test_it_raises_an_operator_alert_for_errors_meta_reports_about_our_number(signed_post):
    response = signed_post(webhook_fixture("errors__value_level"))
    assert response.status_code == 200
    alert = ChannelAlert.objects.get()
    assert alert.code == 130429
    assert alert.title == "Rate limit hit"
    assert alert.details.startswith("Message failed to send because there were too many messages")
    assert alert.source == "webhook"
    assert Message.objects.count() == 0


def test_it_counts_a_repeated_meta_error_on_the_open_alert(signed_post):
    signed_post(webhook_fixture("errors__value_level"))
    signed_post(webhook_fixture("errors__value_level"))
    assert ChannelAlert.objects.get().count == 2


def test_it_orders_a_conversation_by_meta_s_timestamp_not_by_arrival(signed_post):
    later = body_of([change(messages=[text_message("wamid.later", "second", 1750000200)])])
    earlier = body_of([change(messages=[text_message("wamid.earlier", "first", 1750000100)])])
    signed_post(later)
    signed_post(earlier)
    conversation = Conversation.objects.get()
    assert [m.text for m in conversation.messages.all()] == ["first", "second"]
    assert [m.text for m in Message.objects.order_by("created_at", "id")] == ["second", "first"]
    assert conversation.last_message_at == datetime.fromtimestamp(1750000200, tz=timezone.utc)


def test_it_keys_the_conversation_by_wa_id(signed_post):
    signed_post(body_of([change(messages=[text_message("wamid.1", "hi", 1750000001)])]))
    signed_post(body_of([change(messages=[text_message("wamid.2", "again", 1750000002)])]))
    signed_post(body_of([change(messages=[text_message("wamid.3", "other", 1750000003, sender="447700900123")],
                                contacts=[{"profile": {"name": "Ann"}, "wa_id": "447700900123"}])]))
    sheena = Conversation.objects.get(contact_key="16505551234")
    assert sheena.wa_id == "16505551234"
    assert sheena.phone_number_id == "106540352242922"
    assert [m.text for m in sheena.messages.all()] == ["hi", "again"]
    assert Conversation.objects.get(contact_key="447700900123").messages.get().text == "other"


def test_it_keys_the_conversation_by_wa_id_even_when_a_user_id_is_sent_too(signed_post):
    signed_post(webhook_fixture("messages__audio_voice_note"))
    conversation = Conversation.objects.get()
    assert conversation.contact_key == "972987654321"
    assert conversation.bsuid == "US.13491208655302741918"


def test_it_keys_the_conversation_by_user_id_when_meta_sends_no_phone_number(signed_post):
    message = {"from_user_id": "US.13491208655302741918", "id": "wamid.username1", "timestamp": "1750000001",
               "type": "text", "text": {"body": "hello from a username"}}
    contacts = [{"profile": {"name": "Test Name"}, "user_id": "US.13491208655302741918"}]
    assert signed_post(body_of([change(messages=[message], contacts=contacts)])).status_code == 200
    second = dict(message, id="wamid.username2", timestamp="1750000002", text={"body": "again"})
    signed_post(body_of([change(messages=[second], contacts=contacts)]))
    conversation = Conversation.objects.get()
    assert conversation.contact_key == "US.13491208655302741918"
    assert conversation.bsuid == "US.13491208655302741918"
    assert conversation.wa_id == ""
    assert conversation.profile_name == "Test Name"
    assert conversation.recipient == {"recipient": "US.13491208655302741918"}  # Graph takes a BSUID there
    assert [m.text for m in conversation.messages.all()] == ["hello from a username", "again"]
    assert conversation.messages.first().sender_allowed is False


def test_it_takes_the_user_id_from_the_contacts_block_when_the_message_names_none(signed_post):
    message = {"id": "wamid.username1", "timestamp": "1750000001", "type": "text", "text": {"body": "hi"}}
    contacts = [{"profile": {"name": "Test Name"}, "user_id": "US.42"}]
    assert signed_post(body_of([change(messages=[message], contacts=contacts)])).status_code == 200
    assert Conversation.objects.get().contact_key == "US.42"


def test_a_message_naming_no_sender_is_noted_and_the_rest_of_the_body_still_stored(signed_post):
    anonymous = {"id": "wamid.nobody", "timestamp": "1750000001", "type": "text", "text": {"body": "?"}}
    good = text_message("wamid.good", "fine", 1750000002)
    contacts = [{"profile": {"name": "A"}, "wa_id": "16505551234"}, {"profile": {"name": "B"}, "wa_id": "1999"}]
    response = signed_post(body_of([change(messages=[anonymous, good], contacts=contacts)]))
    assert response.status_code == 200
    assert list(Message.objects.values_list("wamid", flat=True)) == ["wamid.good"]
    assert "wamid.nobody" in WebhookEvent.objects.get().error


def test_it_keeps_other_webhook_fields_in_the_raw_event_only(signed_post):
    document = webhook_json("messages__text")
    extra = copy.deepcopy(document["entry"][0]["changes"][0])
    extra["field"] = "account_update"
    document["entry"][0]["changes"].append(extra)
    assert signed_post(as_body(document)).status_code == 200
    assert Message.objects.count() == 1
    assert "account_update" in WebhookEvent.objects.get().error
