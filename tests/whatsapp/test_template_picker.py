"""The template picker in the take-over composer: outside the window staff pick an approved template,
fill a field per value and send it as themselves (whatsapp.catalogue.picker, reusable by any page)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.catalogue_support import template_approved
from tests.conftest import fresh
from whatsapp.catalogue.picker import (
    TemplatePickError,
    field_name,
    picker_context,
    picker_templates,
    send_template,
    template_send_from_form,
)
from whatsapp.models import ChannelAlert, Conversation, Message, MessageTemplate

pytestmark = pytest.mark.django_db

ORDER_UPDATE = [
    {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["A-17"]}},
    {"type": "BODY", "text": "Hello {{1}}, your order ships on {{2}}. Thank you!",
     "example": {"body_text": [["Ann", "12 May"]]}},
    {"type": "FOOTER", "text": "Reply STOP to opt out"},
]


@pytest.fixture
def staff(db):
    return User.objects.create_user(username="max", password="a-long-password-1", first_name="Max", last_name="Ops",
                                    role=User.Role.STAFF)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def member(db):
    """Sheena writes as a customer (customers' conversations are the whole team's to answer)."""
    return User.objects.create_user(username="sheena", phone_number="+16505551234", first_name="Sheena",
                                    last_name="Nelson", role=User.Role.CUSTOMER)


@pytest.fixture
def silent(member, deliver):
    """Sheena wrote two days ago: her window is closed."""
    deliver(fresh("messages__text"))
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(days=2))
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def order_update(db):
    return template_approved("order_update", components=ORDER_UPDATE)


def page(conversation, action="change"):
    return reverse(f"admin:whatsapp_conversation_{action}", args=[conversation.pk])


def post(client, conversation, data, capture):
    with capture(execute=True):
        return client.post(page(conversation, "reply"), data)


# --- what is offered ------------------------------------------------------------------------------
def test_only_approved_templates_staff_can_fill_are_offered(order_update):
    template_approved("login_code", category="AUTHENTICATION", body="Your code is {{1}}.")
    template_approved("invoice_issued", components=[{"type": "HEADER", "format": "DOCUMENT"},
                                                    {"type": "BODY", "text": "Here is {{1}}."}])
    template_approved("paused_one", status=MessageTemplate.Status.PAUSED)
    template_approved("new_one", status=MessageTemplate.Status.PENDING)
    assert [t.name for t in picker_templates()] == ["order_update"]


def test_each_offered_template_has_a_field_per_value_and_a_preview_with_the_markers(order_update):
    (item,) = picker_context()["templates"]
    assert [(f["label"], f["example"]) for f in item["fields"]] == [
        ("Header {{1}}", "A-17"), ("Text {{1}}", "Ann"), ("Text {{2}}", "12 May")]
    assert item["fields"][0]["name"] == field_name(order_update, "header.1")
    assert item["preview"] == ("Order {{1}}\nHello {{1}}, your order ships on {{2}}. Thank you!\n"
                               "Reply STOP to opt out")


def test_outside_the_window_the_composer_is_the_picker(staff_client, silent, order_update):
    html = staff_client.get(page(silent)).content.decode()
    assert 'name="text"' not in html
    assert '<select id="template-choice" name="template"' in html
    assert f'<option value="{order_update.pk}">order_update (en_US, utility)</option>' in html
    assert f'name="{field_name(order_update, "body.2")}"' in html and 'placeholder="e.g. 12 May"' in html
    assert "whatsapp/template_picker.js" in html and 'id="template-picker-parts"' in html
    assert "cdn" not in html.lower()


def test_inside_the_window_there_is_no_picker(staff_client, member, deliver, order_update):
    deliver(fresh("messages__text"))
    html = staff_client.get(page(Conversation.objects.get())).content.decode()
    assert 'name="text"' in html and 'name="template"' not in html


def test_with_no_template_to_offer_staff_are_told_how_to_get_one(staff_client, silent):
    html = staff_client.get(page(silent)).content.decode()
    assert "No approved template can be sent by hand" in html and "whatsapp_templates create" in html


# --- sending --------------------------------------------------------------------------------------
def test_the_picked_template_goes_out_with_the_values_typed_as_the_staff_member(
        staff_client, staff, silent, order_update, graph, django_capture_on_commit_callbacks):
    response = post(staff_client, silent, {"template": order_update.pk,
                                           field_name(order_update, "header.1"): "A-17",
                                           field_name(order_update, "body.1"): "Sheena",
                                           field_name(order_update, "body.2"): " 12 May "},
                    django_capture_on_commit_callbacks)
    assert response.status_code == 302
    (sent,) = graph.sent("template")
    assert sent["template"] == {"name": "order_update", "language": {"code": "en_US"}, "components": [
        {"type": "header", "parameters": [{"type": "text", "text": "A-17"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Sheena"}, {"type": "text", "text": "12 May"}]}]}
    message = Message.objects.get(type="template")
    assert (message.status, message.sent_by) == ("sent", staff)
    assert message.text == "Order A-17\nHello Sheena, your order ships on 12 May. Thank you!\nReply STOP to opt out"
    assert "Template order_update queued." in staff_client.get(response.url).content.decode()


def test_an_empty_field_is_refused_and_nothing_is_queued(staff_client, silent, order_update, graph,
                                                          django_capture_on_commit_callbacks):
    response = post(staff_client, silent, {"template": order_update.pk,
                                           field_name(order_update, "header.1"): "A-17",
                                           field_name(order_update, "body.1"): "Sheena"},
                    django_capture_on_commit_callbacks)
    assert not Message.objects.filter(type="template").exists() and graph.sent("template") == []
    html = staff_client.get(response.url).content.decode()
    assert "Fill in every field of the template “order_update”: Text {{2}} is empty." in html


def test_no_template_chosen_is_refused(staff_client, silent, order_update, django_capture_on_commit_callbacks):
    response = post(staff_client, silent, {"template": ""}, django_capture_on_commit_callbacks)
    assert "Choose one of the approved templates." in staff_client.get(response.url).content.decode()


def test_a_template_that_is_not_offered_is_refused_as_picked(silent, staff):
    paused = template_approved("paused_one", status=MessageTemplate.Status.PAUSED)
    with pytest.raises(TemplatePickError, match="cannot be sent by hand"):
        template_send_from_form(conversation=silent, data={"template": str(paused.pk)}, sent_by=staff)


def test_a_template_paused_since_the_page_was_shown_is_held_and_staff_are_told_why(
        staff, silent, order_update, graph, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        MessageTemplate.objects.filter(pk=order_update.pk).update(status=MessageTemplate.Status.PAUSED)
        order_update.refresh_from_db()
        message = send_template(conversation=silent, template=order_update, sent_by=staff,
                                values={"header.1": "A-17", "body.1": "Sheena", "body.2": "12 May"})
    assert message.status == "held" and "paused by Meta" in message.error_title
    assert graph.sent("template") == []
    assert ChannelAlert.objects.get(subject="order_update:en_US").code == 132015


def test_the_service_takes_exactly_the_template_s_values(silent, staff, order_update):
    with pytest.raises(TemplatePickError, match="takes a value for each of header.1, body.1, body.2"):
        send_template(conversation=silent, template=order_update, values={"body.1": "Sheena"}, sent_by=staff)
    assert not Message.objects.filter(type="template").exists()
