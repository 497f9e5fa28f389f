"""The sandbox in a real browser: a staff member chats as themselves through the whole service
(webhook, inline worker, assistant, sender, the Graph stand-in and its status webhooks)."""

import pytest

from accounts.models import User
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
