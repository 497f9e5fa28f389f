"""The back office in a real browser at a laptop's 1280 px and a phone's 390 px: every list shows its key
columns, a manager reviews expenses one after another, the dashboard's charts are whole, and a long
transcript keeps its take-over panel in view."""

from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from agent.models import Expense
from tests.agent import factories
from tests.browser.conftest import log_in, overflowing
from tests.fakes.graph import PHONE_NUMBER_ID
from whatsapp.models import Conversation, Message

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def maya(role_groups):
    """A manager, as her role makes her (the Managers group)."""
    return User.objects.create_user(username="maya", first_name="Maya", last_name="Ortega", role=User.Role.MANAGER,
                                    phone_number="+15550104410", password=PASSWORD)


@pytest.fixture
def business(maya, settings, tmp_path):
    """A business's month: staff expenses (pending, with receipts, and reviewed), revenue, invoices
    (one overdue), a customer's conversation with a failed delivery."""
    settings.MEDIA_ROOT = tmp_path
    tom = User.objects.create_user(username="tom", first_name="Tom", last_name="Becker", role=User.Role.STAFF,
                                   phone_number="+15550104420")
    priya = User.objects.create_user(username="priya", first_name="Priya", last_name="Shah",
                                     role=User.Role.CUSTOMER, phone_number="+15550104430")
    today = date.today()
    first = factories.expense(by=tom, category="fuel", merchant="Shell Station Harbor Street",
                              description="Van refuel before the Harbor Street job", net="53.95", gross="64.20",
                              spent_on=today - timedelta(days=3))
    second = factories.expense(by=tom, category="equipment", merchant="Ace Hardware",
                               description="Pipe cutter set", net="209.24", gross="249.00",
                               spent_on=today - timedelta(days=2))
    for expense in (first, second):
        expense.receipt.save(f"receipt-{expense.pk}.png", ContentFile(PNG))
    factories.expense(by=maya, category="software", merchant="Invoicely", net="41.18", gross="49.00",
                      status=Expense.Status.APPROVED, spent_on=today - timedelta(days=20))
    cafe = factories.customer(company_name="Harbor Street Café and Bakery", user=priya)
    factories.invoice(to=cafe, by=maya, net="1000.00", gross="1190.00", issued_on=today - timedelta(days=40),
                      due_on=today - timedelta(days=10))
    factories.invoice(to=cafe, by=maya, net="300.00", gross="357.00")
    factories.revenue(by=maya, customer=cafe, net="2000.00", gross="2380.00", description="Kitchen refit, phase one")
    conversation = Conversation.objects.create(phone_number_id=PHONE_NUMBER_ID, contact_key="15550104430",
                                               wa_id="15550104430", profile_name="Priya Shah", user=priya)
    now = timezone.now()
    for n in range(60):  # a long transcript
        Message.objects.create(conversation=conversation, direction="in" if n % 2 == 0 else "out", type="text",
                               text=f"Message number {n} about the kitchen refit and its invoice.",
                               timestamp=now - timedelta(minutes=60 - n), status="handled" if n % 2 == 0 else "read")
    Message.objects.create(conversation=conversation, direction="out", type="text", text="Lost on the way",
                           timestamp=now, status="failed", error_title="Message undeliverable")
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=now - timedelta(minutes=2),
                                                           last_message_at=now, bot_paused=True)
    return {"first": first, "second": second, "conversation": conversation}


# The lists, and the columns each must show at 1280 px (amounts, status, the action link).
KEY_COLUMNS = {
    "/admin/agent/expense/?status__exact=all": ["Gross", "Status", "Receipt", "Review"],
    "/admin/agent/invoice/": ["Net", "Gross", "Paid on"],
    "/admin/agent/revenue/": ["Net", "Gross", "Recorded by"],
    "/admin/agent/customer/": ["Owes"],
    "/admin/whatsapp/conversation/": ["Window", "Waiting", "Bot paused", "Failed", "Business number"],
    "/admin/whatsapp/message/": ["Status"],
    "/admin/accounts/user/": ["Role"],
}


def test_every_list_shows_its_key_columns_at_1280_px(page_at, business, screenshot):
    page = page_at(1280)
    log_in(page, "maya", PASSWORD)
    for url, columns in KEY_COLUMNS.items():
        page.goto(url)
        page.wait_for_selector("#result_list")
        headers = [h.strip().lower() for h in page.locator("#result_list thead th").all_inner_texts()]
        for column in columns:
            assert column.lower() in headers, (url, column, headers)
        assert overflowing(page, "#result_list thead th, #result_list tbody td") == [], url
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, url
        screenshot(page, url.strip("/").split("?")[0].replace("/", "_"))


@pytest.mark.parametrize("width", [1280, 390])
def test_a_manager_reviews_the_pending_expenses_one_after_another(page_at, width, business, screenshot):
    first, second = business["first"], business["second"]
    page = page_at(width)
    log_in(page, "maya", PASSWORD)
    page.goto("/admin/agent/expense/")
    assert page.locator("#result_list tbody tr").count() == 2  # it opens on the pending ones
    page.click("a.review-queue-link")
    page.wait_for_selector("#review-receipt img")

    figures, receipt = page.locator(".review-figures").bounding_box(), page.locator("#review-receipt").bounding_box()
    if width == 1280:  # the receipt beside the amounts
        assert receipt["x"] >= figures["x"] + figures["width"] and abs(receipt["y"] - figures["y"]) < 20
    else:  # under them, on a phone
        assert receipt["y"] >= figures["y"] + figures["height"]
    assert overflowing(page, "#content-main *") == []
    approve, reject = page.locator("#approve-next-button"), page.locator("#reject-next-button")
    colours = [b.evaluate("b => getComputedStyle(b).backgroundColor") for b in (approve, reject)]
    assert colours[0] != colours[1]  # approve and reject look different
    screenshot(page, f"review_first_{width}")

    approve.click()
    page.wait_for_url(f"**/admin/agent/expense/{second.pk}/review/")
    assert "Pipe cutter set" in page.inner_text(".review-figures")
    page.click("#approve-button")
    page.wait_for_selector(".messagelist")
    screenshot(page, f"review_done_{width}")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Expense.Status.APPROVED, Expense.Status.APPROVED)
    assert first.reviewed_by.username == "maya"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_dashboard_is_whole_on_a_laptop_and_a_phone(page_at, width, business, screenshot):
    page = page_at(width)
    log_in(page, "maya", PASSWORD)
    page.goto("/admin/dashboard/")
    page.wait_for_selector("svg.chart")
    screenshot(page, f"dashboard_{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert overflowing(page, "svg.chart, .dashboard .card, .profit-table") == []
    profit = page.locator("svg.grouped-bar-chart rect", has=page.locator("title", has_text="Profit")).first
    bar = profit.bounding_box()  # the profit bar is drawn, and inside its chart:
    chart = page.locator("svg.grouped-bar-chart").bounding_box()
    assert chart["x"] <= bar["x"] and bar["x"] + bar["width"] <= chart["x"] + chart["width"] <= width


@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_transcript_keeps_the_take_over_in_view(page_at, width, business, screenshot):
    page = page_at(width)
    log_in(page, "maya", PASSWORD)
    page.goto(f"/admin/whatsapp/conversation/{business['conversation'].pk}/change/")
    page.wait_for_selector("#takeover")
    reply = page.locator("#reply-text").bounding_box()
    # 61 messages, and the reply box is within the first two screens, not under all of them.
    assert reply["y"] < 2 * page.viewport_size["height"]
    newest = page.locator("#chat-scroll .bubble").last.bounding_box()
    scroller = page.locator("#chat-scroll").bounding_box()
    assert newest["y"] + newest["height"] <= scroller["y"] + scroller["height"] + 1  # opened at the newest
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"transcript_{width}")
