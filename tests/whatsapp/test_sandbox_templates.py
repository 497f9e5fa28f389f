"""Sandbox mode and templates: the Graph stand-in lists and accepts the project's templates (all
approved), checks a template send as Meta does, answers 131047 to anything else outside the 24-hour
window, and the sandbox page lets 25 hours pass in a chat, so the fallback and the release show."""

import time

import pytest

from accounts.models import User
from agent import services as agent_services
from tests.agent import factories
from tests.whatsapp.test_sandbox import post_webhook
from whatsapp.catalogue.components import template_components
from whatsapp.catalogue.create import templates_create
from whatsapp.catalogue.definitions import project_templates
from whatsapp.catalogue.sync import templates_sync
from whatsapp.models import Conversation, Message, MessageTemplate, SandboxDelivery
from whatsapp.outbound.client import GraphClient
from whatsapp.outbound.errors import GraphPermanentError, WindowClosed
from whatsapp.sandbox import phone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def served(sandbox_served):
    return sandbox_served


@pytest.fixture
def ann(db):
    return User.objects.create_user(username="ann", phone_number="+15550102030", first_name="Ann", last_name="Lee",
                                    role=User.Role.STAFF)


def wrote(served, wa_id="15550102030", text="hello", at=None):
    body = phone.message_webhook(wa_id=wa_id, profile_name="Ann Lee", message=phone.text(text), at=at)
    assert post_webhook(served.url, body).status_code == 200


def test_a_sync_from_the_stand_in_gives_the_project_s_templates_approved(served):
    result = templates_sync()
    assert result.listed == len(project_templates()) == 5
    assert set(MessageTemplate.objects.values_list("status", flat=True)) == {"APPROVED"}
    invoice = MessageTemplate.objects.get(name="invoice_issued")
    assert invoice.shape.media_header == "document" and len(invoice.shape.slots) == 4


def test_the_stand_in_lists_its_templates_page_by_page(served):
    assert len(list(GraphClient().templates_list(page_size=2))) == 5


def test_create_against_the_stand_in_leaves_its_templates_alone(served):
    result = templates_create()
    assert result.created == [] and len(result.existing) == 5


def test_the_stand_in_accepts_a_new_template_approved_and_takes_a_header_example(served):
    client = GraphClient()
    answer = client.template_create({"name": "spring_sale", "language": "en_US", "category": "marketing",
                                     "components": [{"type": "BODY", "text": "Hello!"}]})
    assert (answer["status"], answer["category"]) == ("APPROVED", "MARKETING")
    assert client.example_upload(b"%PDF-1.4", "application/pdf").startswith("4::")


def test_a_template_send_is_checked_as_meta_checks_it(served, ann, settings):
    client = GraphClient()
    name = settings.WHATSAPP_REENGAGEMENT_TEMPLATE
    with pytest.raises(GraphPermanentError) as missing:
        client.send_template("+15550102030", "hello_world", "en_US")
    with pytest.raises(GraphPermanentError) as values:
        client.send_template("+15550102030", name, "en_US", template_components(body=["Acme", "extra"]))
    with pytest.raises(GraphPermanentError) as document:
        client.send_template("+15550102030", settings.WHATSAPP_INVOICE_TEMPLATE, "en_US",
                             template_components(body=["Ann", "INV-1", "EUR 1", "1 May"]))
    assert (missing.value.code, missing.value.details) == (132001, "template name (hello_world) does not exist in "
                                                                   "en_US")
    assert values.value.code == 132000 and document.value.code == 132012
    assert not SandboxDelivery.objects.exists()
    client.send_template("+15550102030", name, "en_US", template_components(body=["Acme"]))  # outside the window too
    assert SandboxDelivery.objects.get().type == "template"


def test_free_form_outside_the_window_is_refused_with_131047_as_meta_does(served, ann):
    client = GraphClient()
    with pytest.raises(WindowClosed) as never_wrote:
        client.send_text("+15550102030", "hi")
    wrote(served, at=int(time.time()) - 25 * 3600)
    with pytest.raises(WindowClosed):
        client.send_text("+15550102030", "hi")
    assert never_wrote.value.code == 131047 and "more than 24 hours" in never_wrote.value.details
    assert SandboxDelivery.objects.filter(type="text").count() == 0
    wrote(served)
    client.send_text("+15550102030", "hi")
    # The assistant's reply to her old message (held until now), its reply to this one, and this.
    assert SandboxDelivery.objects.filter(type="text").count() == 3


def test_25_hours_later_a_review_goes_as_its_template_and_the_full_text_follows_the_answer(
        served, ann, client, settings):
    templates_sync()
    wrote(served, text="hello")  # Ann writes; the assistant answers inside her window
    manager = User.objects.create_user(username="maria", password="pw-123-long", first_name="Maria",
                                       last_name="Ortega", role=User.Role.MANAGER, phone_number="+15550104410")
    client.force_login(manager)
    assert client.post(f"/sandbox/people/{ann.pk}/clock/").json() == {"moved_hours": 25}
    conversation = Conversation.objects.get(wa_id="15550102030")
    assert not conversation.window_open()
    assert client.get(f"/sandbox/people/{ann.pk}/feed/").json()["window_open"] is False

    expense = factories.expense(by=ann, merchant="Shell")
    agent_services.expense_review(reviewer=manager, expense_id=expense.pk, approve=True, note="Thanks!")
    (template,) = SandboxDelivery.objects.filter(type="template")
    assert template.payload["template"]["name"] == settings.WHATSAPP_REVIEW_OUTCOME_TEMPLATE
    held = Message.objects.get(direction="out", type="text", status="held")
    assert "Note: Thanks!" in held.text

    wrote(served, text="ok")  # she answers: the held text goes out
    held.refresh_from_db()
    assert held.status in ("sent", "delivered", "read")
    assert SandboxDelivery.objects.filter(type="text", payload__text__body=held.text).exists()


def test_the_clock_moves_only_chats_one_may_chat_as_and_that_exist(served, ann, client):
    colleague = User.objects.create_user(username="tom", password="pw-123-long", role=User.Role.STAFF,
                                         phone_number="+15550104420")
    client.force_login(colleague)
    assert client.post(f"/sandbox/people/{ann.pk}/clock/").status_code == 404  # a colleague: not speakable
    assert client.post(f"/sandbox/people/{colleague.pk}/clock/").json() == {
        "error": "Nothing to move yet: send a message first."}
    assert client.get(f"/sandbox/people/{colleague.pk}/clock/").status_code == 405
