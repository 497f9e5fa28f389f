"""Only allowed senders (active users with that number) reach the agent; everyone else is stored."""

import time

import pytest

from accounts.models import User
from accounts.services import member_upsert
from tests.conftest import fresh
from whatsapp.models import Conversation, Message

NOT_REGISTERED = "This number only answers the team of Acme. Please call us instead."


@pytest.mark.django_db
def test_an_unknown_sender_is_stored_flagged_and_not_answered(deliver, graph):
    response, _ = deliver(fresh("messages__text"))
    assert response.status_code == 200
    message = Message.objects.get()
    assert message.text == "Does it come in another color?"
    assert message.sender_allowed is False
    assert message.status == "ignored"
    assert message.conversation.user is None
    assert graph.requests == []  # no reply and no read receipt


@pytest.mark.django_db
def test_an_unknown_sender_queues_no_work(signed_post, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert signed_post(fresh("messages__text")).status_code == 200
    assert callbacks == []


def test_meta_s_digits_without_a_plus_match_a_member_stored_in_e164(deliver, member, graph):
    assert member.phone_number == "+16505551234"
    deliver(fresh("messages__text"))  # "from": "16505551234"
    message = Message.objects.get(direction="in")
    assert message.sender_allowed is True
    assert message.status == "handled"
    assert message.conversation.user == member
    assert len(graph.texts()) == 1
    assert graph.read_receipts()[0]["message_id"] == message.wamid


def test_a_member_added_with_a_formatted_number_is_matched(deliver, db, graph):
    result = member_upsert(phone="+1 (650) 555-1234", name="Sheena Nelson")
    assert result.user.phone_number == "+16505551234"
    deliver(fresh("messages__text"))
    assert Message.objects.get(direction="in").sender_allowed is True
    assert len(graph.texts()) == 1


def test_an_inactive_member_is_not_allowed(deliver, member, graph):
    User.objects.filter(pk=member.pk).update(is_active=False)
    response, _ = deliver(fresh("messages__text"))
    assert response.status_code == 200
    message = Message.objects.get()
    assert message.sender_allowed is False
    assert message.status == "ignored"
    assert graph.requests == []


def test_another_members_number_does_not_let_a_stranger_in(deliver, db, graph):
    User.objects.create_user(username="ann", phone_number="+16505551235")
    deliver(fresh("messages__text"))
    assert Message.objects.get().sender_allowed is False
    assert graph.requests == []


def test_the_not_registered_reply_is_sent_once_per_conversation(deliver, db, graph, settings):
    settings.WHATSAPP_NOT_REGISTERED_REPLY = NOT_REGISTERED
    deliver(fresh("messages__text"))
    deliver(fresh("messages__text", id="wamid.second", text={"body": "Hello??"}))
    assert graph.texts() == [NOT_REGISTERED]
    assert graph.sent("text")[0]["to"] == "+16505551234"
    assert graph.read_receipts() == []
    assert Conversation.objects.get().not_registered_reply_at is not None
    assert set(Message.objects.filter(direction="in").values_list("status", flat=True)) == {"ignored"}


def test_the_not_registered_reply_is_off_by_default(deliver, db, graph):
    deliver(fresh("messages__text"))
    assert graph.requests == []
    assert Message.objects.filter(direction="out").count() == 0


def test_a_reaction_from_a_stranger_gets_no_not_registered_reply(deliver, db, graph, settings):
    settings.WHATSAPP_NOT_REGISTERED_REPLY = NOT_REGISTERED
    deliver(fresh("messages__reaction"))
    assert graph.requests == []
    assert Conversation.objects.get().not_registered_reply_at is None


def test_a_stranger_writing_outside_the_window_gets_no_reply_and_no_template(deliver, db, graph, settings):
    # e.g. a body Meta retried for a day: free text is no longer allowed, and a paid template is not for strangers
    settings.WHATSAPP_NOT_REGISTERED_REPLY = NOT_REGISTERED
    deliver(fresh("messages__text", at=int(time.time()) - 25 * 3600))
    assert graph.requests == []
    assert Message.objects.filter(direction="out").count() == 0
    deliver(fresh("messages__text", id="wamid.now", text={"body": "Hello?"}))
    assert graph.texts() == [NOT_REGISTERED]  # the one-time reply was not used up
