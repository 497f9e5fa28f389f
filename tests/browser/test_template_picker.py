"""The template picker in a real browser: outside the 24-hour window a staff member picks an approved
template, fills its fields while the preview shows what the person will read, and sends it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import log_in
from tests.browser.test_staff import conversation, staff_member  # noqa: F401  (fixtures)
from tests.catalogue_support import template_approved
from whatsapp.models import Conversation, Message

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ORDER_UPDATE = [
    {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["A-17"]}},
    {"type": "BODY", "text": "Hello {{1}}, your order ships on {{2}}. Thank you!",
     "example": {"body_text": [["Ann", "12 May"]]}},
    {"type": "FOOTER", "text": "Reply STOP to opt out"},
]
READ = "Order A-17\nHello Sheena, your order ships on 12 May. Thank you!\nReply STOP to opt out"


@pytest.fixture
def silent(conversation):  # noqa: F811
    """Sheena last wrote two days ago: only a template can reach her."""
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(days=2))
    return conversation


@pytest.fixture
def templates(db):
    template_approved("reply_waiting", body="Hello! {{1}} has a reply waiting for you. Send any message to read it.")
    return template_approved("order_update", components=ORDER_UPDATE)


def test_staff_pick_a_template_fill_it_in_with_a_live_preview_and_send_it(page, staff_member, silent, templates,  # noqa: F811
                                                                         graph, screenshot):
    log_in(page, "ann", "correct horse battery")
    page.goto(f"/admin/whatsapp/conversation/{silent.pk}/change/")
    page.wait_for_selector("[data-template-picker]")
    assert page.locator("#reply-text").count() == 0
    assert page.locator("fieldset[data-template]:visible").count() == 0  # nothing chosen yet

    page.select_option("#template-choice", label="order_update (en_US, utility)")
    fields = page.locator(f"fieldset[data-template='{templates.pk}']")
    assert fields.is_visible() and page.locator("fieldset[data-template]:visible").count() == 1
    preview = fields.locator("[data-preview]")
    assert preview.inner_text() == ("Order {{1}}\nHello {{1}}, your order ships on {{2}}. Thank you!\n"
                                    "Reply STOP to opt out")
    fields.get_by_label("Header {{1}}").fill("A-17")
    fields.get_by_label("Text {{1}}").fill("Sheena")
    assert preview.inner_text().startswith("Order A-17\nHello Sheena, your order ships on {{2}}.")
    fields.get_by_label("Text {{2}}").fill("12 May")
    assert preview.inner_text() == READ
    screenshot(page, "picker")

    page.click("#takeover button:has-text('Send template')")
    page.wait_for_selector(".messagelist")
    assert "Template order_update queued." in page.inner_text(".messagelist")
    (sent,) = graph.sent("template")
    assert sent["template"]["name"] == "order_update"
    assert [p["text"] for c in sent["template"]["components"] for p in c["parameters"]] == ["A-17", "Sheena", "12 May"]
    # What the person reads is what the preview showed, in the transcript too.
    message = Message.objects.get(type="template", sent_by=staff_member)
    assert message.text == READ
    assert page.locator(".transcript").get_by_text("Hello Sheena, your order ships on 12 May.").count() == 1
    screenshot(page, "sent")


def test_the_browser_asks_for_every_field_of_the_chosen_template_only(page, staff_member, silent, templates,  # noqa: F811
                                                                      graph):
    log_in(page, "ann", "correct horse battery")
    page.goto(f"/admin/whatsapp/conversation/{silent.pk}/change/")
    page.select_option("#template-choice", label="order_update (en_US, utility)")
    page.get_by_label("Header {{1}}").fill("A-17")
    page.click("#takeover button:has-text('Send template')")
    # The empty fields are required: the form does not go, nothing is sent.
    assert page.locator(f"fieldset[data-template='{templates.pk}'] input:invalid").count() == 2
    assert graph.sent() == [] and not Message.objects.filter(type="template").exists()
    # The other template's fields are neither shown nor sent.
    assert page.locator("fieldset[data-template]:disabled").count() == 1


def test_the_picker_s_script_and_style_are_served_by_the_project(page, staff_member, silent, templates):  # noqa: F811
    log_in(page, "ann", "correct horse battery")
    page.goto(f"/admin/whatsapp/conversation/{silent.pk}/change/")
    sources = page.eval_on_selector_all("script[src], link[rel=stylesheet]", "nodes => nodes.map(n => n.src || n.href)")
    assert any(s.endswith("/static/whatsapp/template_picker.js") for s in sources)
    assert all(s.startswith(page.url.split("/admin/")[0]) for s in sources)  # nothing from a CDN
