"""A staff member in a real browser: opens a conversation, takes it over and replies by hand."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from tests.browser.conftest import log_in
from whatsapp.models import Conversation, Message

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff_member(role_groups):
    user = User.objects.create_user(username="ann", first_name="Ann", last_name="Lee", role=User.Role.STAFF,
                                    phone_number="+16505550100", password="correct horse battery")
    assert user.is_staff and user.groups.filter(name="Staff").exists()  # the role decides
    return user


@pytest.fixture
def conversation():
    customer = User.objects.create_user(username="sheena", first_name="Sheena", role=User.Role.CUSTOMER,
                                        phone_number="+16505551234")
    conversation = Conversation.objects.create(phone_number_id="106540352242922", contact_key="16505551234",
                                               wa_id="16505551234", profile_name="Sheena Nelson", user=customer)
    now = timezone.now()
    Message.objects.create(conversation=conversation, direction="in", type="text", wamid="wamid.in1",
                           text="Can someone call me about invoice INV-2026-0007?", timestamp=now - timedelta(minutes=5),
                           status=Message.Status.HANDLED)
    Message.objects.create(conversation=conversation, direction="out", type="text", wamid="wamid.out1",
                           text="I have passed this on to the team.", timestamp=now - timedelta(minutes=4),
                           status=Message.Status.READ)
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=now - timedelta(minutes=5),
                                                           last_message_at=now - timedelta(minutes=4))
    return conversation


def test_staff_take_over_a_conversation_and_reply_by_hand(page, staff_member, conversation, graph, screenshot):
    log_in(page, "ann", "correct horse battery")
    page.goto("/admin/whatsapp/conversation/")
    page.click("text=Sheena Nelson")
    page.wait_for_selector("#takeover")
    assert "invoice INV-2026-0007" in page.content()

    page.click("button[name=pause]")
    page.wait_for_selector("button[name=resume]")
    page.fill("#reply-text", "Hi Sheena, Ann here: I'll call you in ten minutes.")
    page.click("#takeover button:has-text('Send reply')")
    page.wait_for_selector("text=I'll call you in ten minutes")
    screenshot(page, "replied")

    assert graph.texts() == ["*Ann Lee*\nHi Sheena, Ann here: I'll call you in ten minutes."]  # signed
    reply = Message.objects.get(direction="out", sent_by=staff_member)
    assert reply.status == Message.Status.SENT
    conversation.refresh_from_db()
    assert conversation.bot_paused is True
