"""The sandbox in a real browser: a staff member chats as themselves through the whole service
(webhook, inline worker, assistant, sender, the Graph stand-in and its status webhooks)."""

import time

import pytest

from accounts.models import User
from agent import runner
from agent.models import Expense
from tests.agent import factories
from tests.browser.conftest import log_in
from tests.fakes.openai_server import FakeOpenAI
from whatsapp.models import Message, SandboxDelivery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox(settings, sandbox_served):
    settings.WHATSAPP_REPLY_HANDLER = "agent.runner.reply"
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = None
    return settings


@pytest.fixture
def sam(db):
    return User.objects.create_user(username="sam", password="a-long-pass-123", first_name="Sam", last_name="Lee",
                                    phone_number="+15550100002", role=User.Role.STAFF, is_staff=True)


def test_staff_send_an_expense_command_and_see_the_reply_with_its_ticks(page, sandbox, sam, screenshot):
    log_in(page, "sam", "a-long-pass-123")
    page.goto("/sandbox/")
    page.click("text=Sam Lee")
    page.fill("#text", "/expense 12.50 lunch")
    page.press("#text", "Enter")

    mine = page.locator(".bubble.mine", has_text="/expense 12.50 lunch")
    reply = page.locator(".bubble.theirs").last
    reply.wait_for()
    assert "12.50" in reply.inner_text()
    # Sent, delivered and read came back from the stand-in as status webhooks: blue ticks.
    reply.locator('.ticks[data-ticks="read"]').wait_for()
    mine.locator('.ticks[data-ticks="read"]').wait_for()
    screenshot(page, "sandbox_expense")

    expense = Expense.objects.get()
    assert expense.submitted_by == sam and str(expense.gross) == "12.50"
    answer = Message.objects.get(direction="out")
    assert answer.status == "read" and SandboxDelivery.objects.filter(kind="message", wamid=answer.wamid).exists()
    assert page.locator("#ai-status").inner_text().startswith("AI replies off")


@pytest.fixture
def model(sandbox):
    """A scripted OpenAI-compatible server: the AI replies are on."""
    fake = FakeOpenAI()
    sandbox.OPENAI_API_KEY = "test-openai-key"
    sandbox.OPENAI_BASE_URL = fake.base_url
    sandbox.OPENAI_MODEL = "fake-model"
    sandbox.OPENAI_MAX_RETRIES = 0
    yield fake
    fake.close()


def test_a_tap_on_a_reply_button_in_the_sandbox_confirms_the_deletion(page, model, sam, screenshot):
    expense = factories.expense(by=sam, description="Taxi")
    model.call(("delete_expense", {"expense_id": expense.pk}))
    model.reply("Do you want me to delete it?")
    log_in(page, "sam", "a-long-pass-123")
    page.goto(f"/sandbox/?person={sam.pk}")
    page.fill("#text", f"delete expense {expense.pk}")
    page.press("#text", "Enter")

    page.locator(".reply-button", has_text="Yes").click()
    page.locator(".bubble.theirs", has_text="Deleted").wait_for()
    screenshot(page, "sandbox_confirmation")
    assert not Expense.objects.filter(pk=expense.pk).exists()
    assert page.locator("#ai-status").inner_text().startswith("AI replies on: fake-model at 127.0.0.1")


def tall_photo(path) -> str:
    """A receipt photo taller than the chat, as a phone's camera makes them."""
    from PIL import Image

    Image.new("RGB", (600, 1400), (250, 250, 240)).save(path, "PNG")
    return str(path)


# How far the chat's bottom is below what it shows (0: it shows the newest message).
GAP_BELOW = "(c => c.scrollHeight - c.scrollTop - c.clientHeight)(document.getElementById('chat'))"


def reply_slowly_to_photos(conversation, message):
    """The assistant, taking its time over a photo as a real worker and model would."""
    if message.type == "image":
        time.sleep(2)
    return runner.reply(conversation, message)


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["1280px", "390px"])
def test_the_chat_follows_new_messages_after_a_photo_and_fits_the_screen(
        chromium, plain_http, sandbox, sam, screenshot, tmp_path, width, height):
    context = chromium.new_context(base_url=sandbox.WHATSAPP_SANDBOX_URL, viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        log_in(page, "sam", "a-long-pass-123")
        page.goto(f"/sandbox/?person={sam.pk}")
        for command in ("/help", "/expenses"):
            page.fill("#text", command)
            page.press("#text", "Enter")
            page.locator(".bubble.mine", has_text=command).wait_for()
        page.locator(".bubble.theirs").nth(1).wait_for()
        page.wait_for_function("() => document.getElementById('text').value === ''")  # else it is the caption

        # The photo is shown (and grows the chat as it loads) while the answer to it is on its way.
        sandbox.WHATSAPP_REPLY_HANDLER = "tests.browser.test_sandbox.reply_slowly_to_photos"
        page.set_input_files("#file", tall_photo(tmp_path / "receipt.png"))
        page.wait_for_function("() => { const img = document.querySelector('.bubble img.media');"
                               " return img && img.complete && img.naturalHeight > 0; }")
        kept = page.locator(".bubble.theirs", has_text="I've kept this receipt")
        kept.wait_for()
        page.wait_for_function(f"() => {GAP_BELOW} < 2", timeout=3000)
        page.fill("#text", "/expense 12.50 lunch meals")
        page.press("#text", "Enter")
        attached = page.locator(".bubble.theirs", has_text="Saved expense")
        attached.wait_for()
        page.wait_for_function(f"() => {GAP_BELOW} < 2", timeout=3000)
        chat_box, last_box = page.locator("#chat").bounding_box(), attached.bounding_box()
        assert last_box["y"] + last_box["height"] <= chat_box["y"] + chat_box["height"] + 1
        # The whole phone fits the screen: nothing wider than the page, the composer in view.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        composer = page.locator("#composer").bounding_box()
        assert composer["x"] >= 0 and composer["x"] + composer["width"] <= width
        assert composer["y"] + composer["height"] <= height
        screenshot(page, f"sandbox_follows_{width}px")
        assert Expense.objects.get().receipt

        # Scrolled up to read, the chat stays where the person put it when a message arrives.
        page.locator("#chat").hover()
        page.mouse.wheel(0, -10000)
        page.wait_for_function("() => document.getElementById('chat').scrollTop === 0")
        conversation = Message.objects.filter(direction="in").first().conversation
        from whatsapp.takeover import manual_reply_send

        manual_reply_send(conversation=conversation, by=sam, text="A word from the team.")
        page.locator(".bubble.theirs", has_text="A word from the team.").wait_for(state="attached")
        assert page.evaluate("() => document.getElementById('chat').scrollTop") == 0
        assert page.evaluate(f"() => {GAP_BELOW}") > 100
    finally:
        context.close()
