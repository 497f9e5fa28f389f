"""`manage.py whatsapp_templates create` submits the templates this project sends, with example values,
and leaves alone those the account has: run twice, it creates nothing the second time."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.fakes.graph import DUPLICATE_TEMPLATE
from whatsapp.catalogue.components import template_components
from whatsapp.catalogue.create import templates_create
from whatsapp.catalogue.definitions import project_templates
from whatsapp.models import Conversation, MessageTemplate
from whatsapp.outbound.queue import template_queue

pytestmark = pytest.mark.django_db

PROJECT = {"reply_waiting", "payment_reminder", "weekly_spend_summary", "expense_review_outcome", "invoice_issued"}


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("whatsapp_templates", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_every_project_template_is_submitted_with_examples_for_its_placeholders(graph):
    out, _ = run("create")
    created = {body["name"]: body for body in graph.created()}
    assert set(created) == PROJECT
    reminder = created["payment_reminder"]
    assert (reminder["language"], reminder["category"]) == ("en_US", "UTILITY")
    (body,) = reminder["components"]
    assert body["text"].startswith("Hello {{1}}, this is a reminder that you have {{2}} overdue invoice(s), {{3}}")
    assert body["example"] == {"body_text": [["Ann Lee", "2", "EUR 1,250.00", "INV-2026-0012, INV-2026-0015"]]}
    assert "Submitted payment_reminder:en_US (PENDING)" in out
    assert MessageTemplate.objects.get(name="payment_reminder").status == "PENDING"


def test_the_invoice_template_has_a_document_header_whose_example_is_an_uploaded_pdf(graph):
    run("create")
    (invoice,) = [body for body in graph.created() if body["name"] == "invoice_issued"]
    header, body = invoice["components"]
    assert header == {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::fake-handle-1"]}}
    assert body["example"]["body_text"] == [["Ann Lee", "INV-2026-0012", "EUR 1,250.00", "30 May 2026"]]
    (pdf,) = graph.example_uploads
    assert pdf.startswith(b"%PDF")
    assert MessageTemplate.objects.get(name="invoice_issued").shape.media_header == "document"


def test_no_body_starts_or_ends_with_a_placeholder_as_meta_requires():
    for definition in project_templates():
        assert not definition.body.startswith("{{") and not definition.body.rstrip(".!?").endswith("}}")
        assert len(definition.body_example) == definition.body.count("{{")


def test_running_it_again_creates_nothing(graph):
    run("create")
    out, _ = run("create")
    assert len(graph.created()) == len(PROJECT)
    assert out.count("Left alone") == len(PROJECT)


def test_a_template_the_account_has_in_any_status_is_left_alone(graph):
    graph.add_template("payment_reminder", status="REJECTED")
    out, _ = run("create")
    assert "payment_reminder" not in {body["name"] for body in graph.created()}
    assert "Left alone payment_reminder:en_US (REJECTED): the account has it." in out


def test_a_name_meta_says_exists_counts_as_existing(graph):
    graph.template_script = [DUPLICATE_TEMPLATE]
    result = templates_create()
    assert len(result.existing) == 1 and "created meanwhile" in result.existing[0]
    assert len(result.created) == len(PROJECT) - 1 and result.failed == []


def test_an_approved_answer_releases_what_waited_for_it(graph, member):
    conversation = Conversation.objects.create(phone_number_id="106540352242922", contact_key="16505551234",
                                               wa_id="16505551234", user=member)
    held = template_queue(conversation=conversation, name="weekly_spend_summary", language="en_US",
                          components=template_components(body=["04 May - 10 May 2026", "EUR 10.00", "1"]))
    graph.created_status = "APPROVED"
    templates_create()
    held.refresh_from_db()
    assert (held.status, held.error_title) == ("queued", "")


def test_without_the_app_id_the_invoice_template_says_what_to_set_and_the_others_are_created(graph, settings):
    settings.WHATSAPP_APP_ID = ""
    with pytest.raises(CommandError, match="1 template"):
        call_command("whatsapp_templates", "create", stdout=StringIO(), stderr=(err := StringIO()))
    assert "Not created invoice_issued:en_US: its document header needs an example" in err.getvalue()
    assert "set WHATSAPP_APP_ID" in err.getvalue()
    assert {body["name"] for body in graph.created()} == PROJECT - {"invoice_issued"}


def test_meta_refusing_a_template_says_why_and_goes_on(graph):
    graph.template_script = [(400, {"error": {"message": "Invalid parameter", "code": 100, "error_subcode": 2388040,
                                              "error_user_msg": "The body contains too many variables."}})]
    result = templates_create()
    assert len(result.failed) == 1 and "The body contains too many variables." in result.failed[0]
    assert len(result.created) == len(PROJECT) - 1
