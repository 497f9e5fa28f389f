"""Issue 10, hole 7: Meta posts the webhooks of every number of the business account the app is
subscribed to. A message for a `metadata.phone_number_id` that is not ours is stored and flagged in
the admin, and nothing answers it: no task, no read receipt, no reply. A status for another number
is recorded and moves none of our messages. Through the real view, on both storage paths (one
message: PostgreSQL's one statement; two: its per-message statement; SQLite: the ORM)."""

import json

import pytest

from tests.conftest import as_body, fresh, messages_of
from tests.fakes.graph import PHONE_NUMBER_ID
from tests.whatsapp.test_statuses import SENT_AT, status_body
from tests.whatsapp.test_statuses import conversation, outbound  # noqa: F401 (fixtures)
from whatsapp.models import Conversation, Message, StatusUpdate, WebhookEvent
from whatsapp.sweeper import sweep

OTHER_NUMBER = "998877665544"


def to_number(body: bytes, phone_number_id: str, *, messages: int = 1) -> bytes:
    document = json.loads(body)
    value = document["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = phone_number_id
    if messages > 1:
        first = messages_of(document)[0]
        value["messages"].extend({**first, "id": f"{first['id']}.{n}"} for n in range(1, messages))
    return as_body(document)


@pytest.mark.parametrize("messages", [1, 2])
def test_hole7_a_message_for_another_number_is_stored_flagged_and_not_answered(deliver, member, graph, messages):
    response, callbacks = deliver(to_number(fresh("messages__text"), OTHER_NUMBER, messages=messages))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    theirs = Conversation.objects.get()
    assert (theirs.phone_number_id, theirs.on_our_number) == (OTHER_NUMBER, False)
    stored = list(Message.objects.all())
    assert len(stored) == messages
    for message in stored:
        assert (message.status, message.sender_allowed, message.webhook_event) == ("other_number", False, event)
    assert callbacks == []  # no task queued
    assert graph.requests == []  # no read receipt, no reply


def test_hole7_the_same_sender_on_our_number_is_answered(deliver, member, graph):
    response, _ = deliver(to_number(fresh("messages__text"), PHONE_NUMBER_ID))
    assert response.status_code == 200
    assert Message.objects.get(direction="in").status == "handled"
    assert len(graph.texts()) == 1 and len(graph.read_receipts()) == 1


def test_hole7_a_stranger_on_another_number_gets_no_not_registered_reply(deliver, db, graph, settings):
    settings.WHATSAPP_NOT_REGISTERED_REPLY = "This number is for registered team members only."
    response, _ = deliver(to_number(fresh("messages__text"), OTHER_NUMBER))
    assert response.status_code == 200
    assert Message.objects.get().status == "other_number"
    assert graph.requests == []


def test_hole7_meta_s_media_samples_name_another_number_and_are_not_answered(deliver, db, graph):
    from accounts.models import User

    User.objects.create_user(username="maya", phone_number="+972987654321", role=User.Role.MANAGER)
    response, callbacks = deliver(fresh("messages__audio_voice_note"))  # metadata: 1122334455667
    assert response.status_code == 200
    assert Message.objects.get().status == "other_number"
    assert callbacks == [] and graph.requests == []


def test_hole7_the_sweeper_never_queues_another_number_s_message(signed_post, member, graph):
    signed_post(to_number(fresh("messages__text"), OTHER_NUMBER))
    assert sweep(older_than_seconds=0).inbound == 0
    assert graph.requests == []


@pytest.mark.parametrize("messages", [1, 2])
def test_hole7_when_no_number_is_configured_nothing_is_answered(deliver, member, graph, settings, messages):
    settings.WHATSAPP_PHONE_NUMBER_ID = ""
    response, callbacks = deliver(fresh("messages__text") if messages == 1
                                  else to_number(fresh("messages__text"), PHONE_NUMBER_ID, messages=2))
    assert response.status_code == 200
    assert set(Message.objects.values_list("status", flat=True)) == {"other_number"}
    assert callbacks == [] and graph.requests == []


# --- statuses -----------------------------------------------------------------------------------------
def test_hole7_a_status_for_another_number_is_recorded_and_moves_nothing(signed_post, outbound):
    response = signed_post(to_number(status_body("read", wamid=outbound.wamid), OTHER_NUMBER))
    assert response.status_code == 200
    update = StatusUpdate.objects.get()
    assert (update.phone_number_id, update.message, update.status) == (OTHER_NUMBER, None, "read")
    assert update.webhook_event == WebhookEvent.objects.get()
    outbound.refresh_from_db()
    assert (outbound.status, outbound.read_at) == ("sent", None)
    sweep()  # the sweeper does not attach it later either
    update.refresh_from_db()
    outbound.refresh_from_db()
    assert (update.message, outbound.status) == (None, "sent")


def test_hole7_a_failed_status_for_another_number_fails_nothing(signed_post, outbound):
    errors = [{"code": 131026, "title": "Message undeliverable"}]
    body = status_body("failed", wamid=outbound.wamid, timestamp=SENT_AT + 5, errors=errors)
    assert signed_post(to_number(body, OTHER_NUMBER)).status_code == 200
    outbound.refresh_from_db()
    assert (outbound.status, outbound.error_code) == ("sent", None)


def test_hole7_our_number_s_status_still_moves_our_message(signed_post, outbound):
    assert signed_post(to_number(status_body("read", wamid=outbound.wamid), PHONE_NUMBER_ID)).status_code == 200
    outbound.refresh_from_db()
    assert outbound.status == "read"
    assert StatusUpdate.objects.get().phone_number_id == PHONE_NUMBER_ID


# --- the admin ----------------------------------------------------------------------------------------
@pytest.fixture
def other_number_conversation(signed_post, member):
    signed_post(to_number(fresh("messages__text"), OTHER_NUMBER))
    return Conversation.objects.get()


def test_hole7_the_conversation_list_flags_and_filters_another_number(admin_client, other_number_conversation,
                                                                      conversation):
    page = admin_client.get("/admin/whatsapp/conversation/").content.decode()
    assert f"Another number: {OTHER_NUMBER}" in page and "(stored, not answered)" in page
    others = admin_client.get("/admin/whatsapp/conversation/?number=other").context["cl"].result_list
    assert list(others) == [other_number_conversation]
    ours = admin_client.get("/admin/whatsapp/conversation/?number=ours").context["cl"].result_list
    assert list(ours) == [conversation]


def test_hole7_the_conversation_page_says_so_and_offers_no_take_over(admin_client, other_number_conversation):
    url = f"/admin/whatsapp/conversation/{other_number_conversation.pk}/"
    page = admin_client.get(url + "change/").content.decode()
    assert "is with another business number" in page
    assert 'id="takeover"' not in page


def test_hole7_a_reply_by_hand_to_another_number_is_refused(admin_client, other_number_conversation, graph):
    url = f"/admin/whatsapp/conversation/{other_number_conversation.pk}/"
    response = admin_client.post(url + "reply/", {"text": "hello"}, follow=True)
    assert "not answered from here" in response.content.decode()
    assert admin_client.post(url + "pause/").status_code == 302
    other_number_conversation.refresh_from_db()
    assert other_number_conversation.bot_paused is False
    assert Message.objects.filter(direction="out").count() == 0 and graph.requests == []


def test_hole7_the_message_says_it_was_for_another_number(admin_client, other_number_conversation):
    message = Message.objects.get()
    page = admin_client.get(f"/admin/whatsapp/message/{message.pk}/change/").content.decode()
    assert "Not answered (sent to another business number)" in page
    listed = admin_client.get("/admin/whatsapp/message/?status__exact=other_number").context["cl"].result_list
    assert list(listed) == [message]


def test_hole7_the_status_list_flags_another_number(admin_client, signed_post, outbound):
    signed_post(to_number(status_body("read", wamid=outbound.wamid), OTHER_NUMBER))
    page = admin_client.get("/admin/whatsapp/statusupdate/?number=other").content.decode()
    assert OTHER_NUMBER in page
    update = StatusUpdate.objects.get()
    detail = admin_client.get(f"/admin/whatsapp/statusupdate/{update.pk}/change/").content.decode()
    assert "reported for another business number" in detail
