"""Delivery statuses: recorded once per (wamid, status), applied forward only, failures kept."""

from datetime import datetime, timezone

import pytest
from django.utils import timezone as django_timezone

from tests.conftest import as_body, webhook_fixture, webhook_json
from tests.fakes.graph import PHONE_NUMBER_ID
from whatsapp.models import ChannelAlert, Conversation, Message, StatusUpdate

pytestmark = pytest.mark.django_db

WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="
FAILED_WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA"
SENT_AT = 1750030000


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


@pytest.fixture
def conversation(db):
    return Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505551234",
                                       wa_id="16505551234", profile_name="Sheena Nelson")


@pytest.fixture
def outbound(conversation):
    """A text we sent: Graph accepted it and gave us its wamid."""
    return Message.objects.create(conversation=conversation, direction="out", type="text", wamid=WAMID,
                                  text="Yes, in blue and green.", status="sent", timestamp=at(SENT_AT))


def status_body(name: str, *, wamid: str = WAMID, timestamp: int = SENT_AT + 10, errors=None) -> bytes:
    document = webhook_json("statuses__read")
    report = document["entry"][0]["changes"][0]["value"]["statuses"][0]
    report.update(id=wamid, status=name, timestamp=str(timestamp))
    if errors is not None:
        report["errors"] = errors
    return as_body(document)


def test_sent_sets_the_time_it_was_sent(signed_post, outbound):
    assert signed_post(status_body("sent", timestamp=SENT_AT + 1)).status_code == 200
    outbound.refresh_from_db()
    assert outbound.status == "sent"
    assert outbound.sent_at == at(SENT_AT + 1)


def test_delivered_moves_a_sent_message_forward(signed_post, outbound):
    assert signed_post(status_body("delivered", timestamp=SENT_AT + 5)).status_code == 200
    outbound.refresh_from_db()
    assert outbound.status == "delivered"
    assert outbound.delivered_at == at(SENT_AT + 5)
    assert StatusUpdate.objects.get().message == outbound


def test_read_moves_a_delivered_message_forward(signed_post, outbound):
    signed_post(status_body("delivered", timestamp=SENT_AT + 5))
    signed_post(status_body("read", timestamp=SENT_AT + 60))
    outbound.refresh_from_db()
    assert outbound.status == "read"
    assert (outbound.delivered_at, outbound.read_at) == (at(SENT_AT + 5), at(SENT_AT + 60))


def test_the_real_read_fixture_applies_to_our_message(signed_post, outbound):
    assert signed_post(webhook_fixture("statuses__read")).status_code == 200
    outbound.refresh_from_db()
    assert outbound.status == "read"
    assert outbound.read_at == at(1750030073)


def test_played_moves_a_read_voice_note_forward(signed_post, outbound):
    Message.objects.filter(pk=outbound.pk).update(type="audio", status="read", read_at=at(SENT_AT + 60))
    signed_post(status_body("played", timestamp=SENT_AT + 90))
    outbound.refresh_from_db()
    assert outbound.status == "played"
    assert outbound.read_at == at(SENT_AT + 60)
    assert StatusUpdate.objects.get(status="played").message == outbound


def test_a_late_delivered_never_moves_a_read_message_back(signed_post, outbound):
    signed_post(status_body("read", timestamp=SENT_AT + 60))
    signed_post(status_body("delivered", timestamp=SENT_AT + 5))
    outbound.refresh_from_db()
    assert outbound.status == "read"
    assert outbound.read_at == at(SENT_AT + 60)
    assert outbound.delivered_at == at(SENT_AT + 5)  # the earlier event is still on record


def test_a_late_sent_never_moves_a_delivered_message_back(signed_post, outbound):
    signed_post(status_body("delivered", timestamp=SENT_AT + 5))
    signed_post(status_body("sent", timestamp=SENT_AT + 1))
    outbound.refresh_from_db()
    assert outbound.status == "delivered"


def test_a_redelivered_status_is_recorded_once(signed_post, outbound):
    body = status_body("delivered", timestamp=SENT_AT + 5)
    assert signed_post(body).status_code == 200
    assert signed_post(body).status_code == 200
    assert StatusUpdate.objects.filter(wamid=WAMID, status="delivered").count() == 1


def test_the_same_status_reported_again_with_another_time_changes_nothing(signed_post, outbound):
    signed_post(status_body("delivered", timestamp=SENT_AT + 5))
    signed_post(status_body("delivered", timestamp=SENT_AT + 500))
    outbound.refresh_from_db()
    assert outbound.delivered_at == at(SENT_AT + 5)
    assert StatusUpdate.objects.get().timestamp == at(SENT_AT + 5)


def test_failed_keeps_the_error_code_title_and_details(signed_post, outbound):
    Message.objects.filter(pk=outbound.pk).update(wamid=FAILED_WAMID)
    assert signed_post(webhook_fixture("statuses__failed")).status_code == 200
    outbound.refresh_from_db()
    assert outbound.status == "failed"
    assert outbound.failed_at == at(1751142888)
    assert outbound.error_code == 131049
    assert outbound.error_title == "This message was not delivered to maintain healthy ecosystem engagement."
    assert outbound.error_details == (
        "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.")
    update = StatusUpdate.objects.get()
    assert update.errors[0]["code"] == 131049


def test_a_stray_failed_does_not_undo_a_delivered_message(signed_post, outbound):
    signed_post(status_body("delivered", timestamp=SENT_AT + 5))
    errors = webhook_json("statuses__failed")["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"]
    signed_post(status_body("failed", timestamp=SENT_AT + 6, errors=errors))
    outbound.refresh_from_db()
    assert outbound.status == "delivered"
    assert outbound.error_code is None
    assert StatusUpdate.objects.filter(status="failed").count() == 1


def test_a_status_for_an_unknown_message_is_recorded(signed_post):
    response = signed_post(webhook_fixture("statuses__sent_marketing"))
    assert response.status_code == 200
    update = StatusUpdate.objects.get()
    assert update.message is None
    assert (update.wamid, update.status) == (WAMID, "sent")
    assert update.recipient_id == "16505551234"
    assert update.raw["pricing"]["category"] == "marketing"
    assert update.webhook_event is not None


def test_a_status_nobody_has_heard_of_is_recorded_and_changes_nothing(signed_post, outbound):
    assert signed_post(status_body("teleported")).status_code == 200
    outbound.refresh_from_db()
    assert outbound.status == "sent"
    assert StatusUpdate.objects.get().status == "teleported"


def test_a_window_failure_puts_the_text_on_hold_and_queues_the_reengagement_template(deliver, outbound, settings,
                                                                                     catalogue):
    errors = [{"code": 131047, "title": "Re-engagement message",
               "message": "Re-engagement message",
               "error_data": {"details": "Message failed to send because more than 24 hours have passed "
                                         "since the customer last replied to this number."}}]
    response, _ = deliver(status_body("failed", timestamp=SENT_AT + 3, errors=errors))
    assert response.status_code == 200
    outbound.refresh_from_db()
    assert outbound.status == "held"
    assert outbound.error_code == 131047
    template = Message.objects.get(direction="out", type="template")
    assert template.data == {"reengagement": True}
    assert template.payload["template"] == {
        "name": settings.WHATSAPP_REENGAGEMENT_TEMPLATE, "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": settings.BUSINESS_NAME}]}]}
    assert template.payload["to"] == "+16505551234"
    assert template.status == "sent"  # the template went out from the outbox


def test_after_a_window_failure_graph_receives_the_template_and_not_the_text_again(deliver, outbound, graph,
                                                                                  settings, catalogue):
    errors = [{"code": 131047, "title": "Re-engagement message", "error_data": {"details": "24 hours"}}]
    deliver(status_body("failed", errors=errors))
    (sent,) = graph.sent()
    assert sent["type"] == "template"
    assert sent["template"]["name"] == settings.WHATSAPP_REENGAGEMENT_TEMPLATE
    assert sent["template"]["language"] == {"code": "en_US"}
    assert graph.texts() == []


def test_a_failed_status_naming_a_locked_account_queues_a_copy_for_after_the_fix(deliver, outbound, graph):
    errors = [{"code": 131031, "title": "Business account locked", "message": "Business account locked",
               "error_data": {"details": "The account is locked"}}]
    deliver(status_body("failed", errors=errors))
    outbound.refresh_from_db()
    assert (outbound.status, outbound.wamid, outbound.error_code) == ("failed", WAMID, 131031)  # history kept
    copy = Message.objects.get(direction="out", status="queued")
    assert copy.text == outbound.text and copy.data["resend_of"] == outbound.pk
    assert copy.next_attempt_at > django_timezone.now()  # after the pause the alert started
    assert graph.sent() == []
    alert = ChannelAlert.objects.get()
    assert (alert.code, alert.source) == (131031, "webhook")


def test_a_message_meta_keeps_failing_for_the_account_is_resent_at_most_three_times(deliver, outbound, graph):
    from whatsapp.outbound.failed import OPERATOR_RESENDS, outbound_failed_later

    errors = [{"code": 131031, "title": "Business account locked"}]
    deliver(status_body("failed", errors=errors))
    for _ in range(OPERATOR_RESENDS + 2):
        latest = Message.objects.filter(direction="out").latest("id")
        Message.objects.filter(pk=latest.pk).update(status="failed", error_code=131031)
        latest.refresh_from_db()
        outbound_failed_later(message=latest)
    assert Message.objects.filter(direction="out").count() == 1 + OPERATOR_RESENDS
