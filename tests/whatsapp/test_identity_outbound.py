"""Sending to someone WhatsApp names by a business-scoped user id (BSUID) alone: Graph's `recipient`
field, the 24-hour window and templates as for anyone, and error 131062."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from tests.catalogue_support import template_approved
from tests.conftest import fresh
from tests.fakes.graph import PHONE_NUMBER_ID, send_fixture
from tests.whatsapp.test_statuses import status_body
from whatsapp.outbound.client import GraphClient
from whatsapp.models import Conversation, Message
from whatsapp.outbound.notify import notify_user
from whatsapp.outbound.queue import outbound_queue, template_queue
from whatsapp.outbound.sender import outbound_send
from whatsapp.replies import Reply

pytestmark = pytest.mark.django_db

BSUID = "US.13491208655302741918"
EXPLAINED = "WhatsApp does not deliver this kind of message to someone known only by their username"


def bsuid_conversation(*, last_inbound_ago: timedelta = timedelta(minutes=1), user=None) -> Conversation:
    return Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key=BSUID, bsuid=BSUID, user=user,
                                       last_inbound_at=timezone.now() - last_inbound_ago)


def test_a_text_to_a_bsuid_is_the_protocol_body_with_recipient(graph):
    wamid = GraphClient().send_text({"recipient": BSUID}, "text-message-content")
    (body,) = graph.sent()
    assert body == send_fixture("req_text_bsuid")
    assert wamid == ["wamid.fake1"]


def test_graph_s_answer_to_a_bsuid_send_names_a_user_id_and_no_wa_id(graph):
    graph.fail_next((200, send_fixture("resp_success_bsuid")))
    assert GraphClient().send_text({"recipient": BSUID}, "Hello") == [
        send_fixture("resp_success_bsuid")["messages"][0]["id"]]


def test_a_person_with_a_known_number_is_sent_to_the_number(graph):
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="16505551234",
                                               wa_id="16505551234", bsuid=BSUID, last_inbound_at=timezone.now())
    outbound_queue(conversation=conversation, reply=Reply(text="Hi"))
    outbound_send(conversation_id=conversation.pk)
    (body,) = graph.sent()
    assert body["to"] == "+16505551234" and "recipient" not in body


def test_reply_buttons_to_a_bsuid_go_to_recipient(graph):
    conversation = bsuid_conversation()
    outbound_queue(conversation=conversation, reply=Reply(text="Approve?", buttons=[("yes", "Yes"), ("no", "No")]))
    outbound_send(conversation_id=conversation.pk)
    (body,) = graph.sent("interactive")
    assert body["recipient"] == BSUID and "to" not in body


def test_outside_the_window_a_bsuid_only_person_gets_the_reengagement_template_then_the_held_text(
        graph, settings, deliver, catalogue):
    person = User.objects.create_user(username=BSUID, bsuid=BSUID, first_name="Sheena")
    conversation = bsuid_conversation(last_inbound_ago=timedelta(hours=25), user=person)
    notify_user(user=person, text="Your expense #12 was approved.")
    outbound_send(conversation_id=conversation.pk)
    (template,) = graph.sent("template")
    assert (template["recipient"], template["template"]["name"]) == (BSUID, settings.WHATSAPP_REENGAGEMENT_TEMPLATE)
    assert "to" not in template
    assert Message.objects.get(type="text", direction="out").status == "held"
    deliver(fresh("messages__text_user_id_only"))  # she answers, with her username as ever
    assert graph.texts()[0] == "Your expense #12 was approved."
    assert graph.sent("text")[0]["recipient"] == BSUID


def test_notify_user_reaches_someone_known_only_by_their_bsuid(graph, db):
    person = User.objects.create_user(username=BSUID, bsuid=BSUID)
    (message,) = notify_user(user=person, text="Hello")
    assert (message.conversation.bsuid, message.conversation.wa_id, message.conversation.user) == (BSUID, "", person)


def test_131062_fails_the_message_at_once_with_a_reason_staff_can_read(graph):
    graph.fail_next("resp_error_131062")
    conversation = bsuid_conversation()
    template_approved("login_code", category="AUTHENTICATION")
    message = template_queue(conversation=conversation, name="login_code", language="en_US")
    assert outbound_send(conversation_id=conversation.pk) is None
    message.refresh_from_db()
    assert (message.status, message.error_code, message.attempts) == ("failed", 131062, 1)
    assert message.error_details.startswith(EXPLAINED)
    assert "BSUID recipients are not supported for this message." in message.error_details
    assert len(graph.sent()) == 1  # permanent: not tried again


def test_a_failed_status_with_131062_keeps_the_reason_staff_can_read(signed_post, db):
    conversation = bsuid_conversation()
    sent = Message.objects.create(conversation=conversation, direction="out", type="template", wamid="wamid.t1",
                                  status="sent", text="[template login_code]", timestamp=timezone.now())
    errors = [{"code": 131062, "title": "BSUID recipients not supported",
               "error_data": {"details": "BSUID recipients are not supported for this message."}}]
    assert signed_post(status_body("failed", wamid="wamid.t1", errors=errors)).status_code == 200
    sent.refresh_from_db()
    assert (sent.status, sent.error_code) == ("failed", 131062)
    assert sent.error_details.startswith(EXPLAINED)


def test_the_not_registered_reply_reaches_a_bsuid_only_stranger_through_recipient(deliver, graph, settings, db):
    settings.WHATSAPP_NOT_REGISTERED_REPLY = "This number only answers the team of Acme."
    deliver(fresh("messages__text_user_id_only"))
    (body,) = graph.sent("text")
    assert body["recipient"] == BSUID and "to" not in body
