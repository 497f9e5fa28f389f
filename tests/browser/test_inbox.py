"""The inbox in a real browser, on a laptop (1280 px) and a phone (390 px): a message Meta posts while
the page is open appears without a reload, with the assistant's answer and its ticks; a staff member
takes the conversation over and replies; outside the 24-hour window the composer sends a template."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from tests.browser.conftest import log_in, overflowing
from tests.catalogue_support import template_approved
from tests.conftest import APP_SECRET, WEBHOOK_URL, as_body, fresh, webhook_json
from tests.fakes.graph import PHONE_NUMBER_ID
from whatsapp.models import Conversation, Message
from whatsapp.signatures import sign

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]
PASSWORD = "correct horse battery"
# Meta's sample payloads come from this number: here it is Priya's, a customer.
PRIYA_WA_ID = "16505551234"


@pytest.fixture
def ann(role_groups):
    return User.objects.create_user(username="ann", first_name="Ann", last_name="Lee", role=User.Role.STAFF,
                                    phone_number="+16505550100", password=PASSWORD)


@pytest.fixture
def priyas_chat(db):
    priya = User.objects.create_user(username="priya", first_name="Priya", last_name="Shah",
                                     role=User.Role.CUSTOMER, phone_number=f"+{PRIYA_WA_ID}")
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key=PRIYA_WA_ID,
                                               wa_id=PRIYA_WA_ID, profile_name="Priya Shah", user=priya)
    earlier = timezone.now() - timedelta(minutes=10)
    Message.objects.create(conversation=conversation, direction="in", type="text", wamid="wamid.earlier",
                           text="What do I owe?", timestamp=earlier, created_at=earlier, status="handled")
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=earlier, last_message_at=earlier)
    return conversation


def post_webhook(body: bytes):
    """As Meta posts it: signed with the app secret, to the real endpoint (the reply runs inline)."""
    response = Client().post(WEBHOOK_URL, data=body, content_type="application/json",
                             HTTP_X_HUB_SIGNATURE_256=sign(body, APP_SECRET))
    assert response.status_code == 200


def read_receipt(wamid: str) -> bytes:
    document = webhook_json("statuses__read")
    document["entry"][0]["changes"][0]["value"]["statuses"][0].update(
        id=wamid, recipient_id=PRIYA_WA_ID, timestamp=str(int(time.time())))
    return as_body(document)


def open_inbox(page, conversation):
    log_in(page, "ann", PASSWORD)
    page.goto(f"/admin/inbox/?c={conversation.pk}")
    page.wait_for_selector("#inbox-chat")
    page.evaluate("window.stillTheSamePage = true")  # gone if anything reloads it


@pytest.mark.parametrize("width", WIDTHS)
def test_a_message_arriving_while_the_inbox_is_open_appears_without_a_reload(page_at, width, ann, priyas_chat,
                                                                               graph, screenshot):
    page = page_at(width)
    open_inbox(page, priyas_chat)
    assert "What do I owe?" in page.inner_text("#inbox-chat")

    post_webhook(fresh("messages__text"))  # "Does it come in another color?", from Priya's number
    arrived = time.monotonic()
    page.locator("#inbox-chat .bubble.inbound", has_text="Does it come in another color?").wait_for(timeout=2000)
    answer = page.locator("#inbox-chat .bubble.by-assistant", has_text="Got it, thanks.")
    answer.wait_for(timeout=2000)
    assert time.monotonic() - arrived < 2.5

    [reply] = Message.objects.filter(direction="out")
    post_webhook(read_receipt(reply.wamid))  # Meta: Priya read the answer
    answer.locator(".ticks.read").wait_for(timeout=2000)
    screenshot(page, f"arrived_{width}")

    assert page.evaluate("window.stillTheSamePage") is True
    assert overflowing(page, "#inbox-chat, #inbox-composer, #inbox-head") == []
    if width == 1280:  # the list beside it moved on too: the newest message is the answer
        assert "Got it, thanks." in page.inner_text(".inbox-item.selected")


@pytest.mark.parametrize("width", WIDTHS)
def test_take_over_and_reply_from_the_inbox(page_at, width, ann, priyas_chat, graph, screenshot):
    page = page_at(width)
    open_inbox(page, priyas_chat)
    page.click("#take-over")
    page.wait_for_selector("#hand-back")
    assert "you answer" in page.inner_text("#inbox-state")

    composer = page.locator("#composer-text")
    box = composer.bounding_box()
    assert box["y"] + box["height"] <= page.viewport_size["height"]  # in view, not under the transcript
    composer.fill("Hi Priya, Ann here: EUR 1,190.00, due on Friday.")
    page.click("#composer-send")
    mine = page.locator("#inbox-chat .bubble.by-staff", has_text="Ann here: EUR 1,190.00")
    mine.wait_for(timeout=3000)
    assert mine.locator(".sender").inner_text() == "Ann Lee"
    assert composer.input_value() == ""
    screenshot(page, f"replied_{width}")

    assert graph.texts() == ["*Ann Lee*\nHi Priya, Ann here: EUR 1,190.00, due on Friday."]
    conversation = Conversation.objects.get()
    assert conversation.bot_paused and conversation.assigned_to == ann

    page.click("#hand-back")
    page.wait_for_selector("#take-over")
    conversation.refresh_from_db()
    assert not conversation.bot_paused and conversation.assigned_to is None
    assert page.evaluate("window.stillTheSamePage") is True


@pytest.mark.parametrize("width", WIDTHS)
def test_when_the_window_closes_the_composer_becomes_the_template_picker(page_at, width, ann, priyas_chat, graph,
                                                                           screenshot):
    follow_up = template_approved("follow_up", components=[
        {"type": "BODY", "text": "Hello {{1}}, we will call you back today.", "example": {"body_text": [["Ann"]]}}])
    # Priya's window closes a few seconds after the page opens.
    closing = timezone.now() - timedelta(hours=24) + timedelta(seconds=4)
    Conversation.objects.filter(pk=priyas_chat.pk).update(last_inbound_at=closing)
    page = page_at(width)
    open_inbox(page, priyas_chat)
    assert page.locator("#composer-text").count() == 1

    picker = page.locator("#inbox-composer [data-template-picker]")
    picker.wait_for(timeout=8000)  # counted down, asked, swapped in: no reload
    assert page.locator("#composer-text").count() == 0 and "Closed" in page.inner_text("#inbox-person")
    page.select_option("#template-choice", str(follow_up.pk))
    fields = page.locator(f"fieldset[data-template='{follow_up.pk}']")
    fields.get_by_label("Text {{1}}").fill("Priya")
    assert fields.locator("[data-preview]").inner_text() == "Hello Priya, we will call you back today."
    page.click("#composer-send")
    page.locator("#inbox-chat .bubble.by-staff", has_text="Hello Priya, we will call you back today.").wait_for(
        timeout=3000)
    screenshot(page, f"template_{width}")

    assert page.evaluate("window.stillTheSamePage") is True
    [sent] = graph.sent("template")
    assert sent["template"]["name"] == "follow_up"
    assert [p["text"] for c in sent["template"]["components"] for p in c["parameters"]] == ["Priya"]


def test_the_window_counts_down_in_the_person_pane(page_at, ann, priyas_chat):
    page = page_at(1280)
    open_inbox(page, priyas_chat)
    countdown = page.locator(".window-countdown")
    assert countdown.inner_text() in ("Open, 23 h 50 min left", "Open, 23 h 49 min left")
    assert json.loads(page.locator("#inbox-config").inner_text())["poll_ms"] <= 1000
