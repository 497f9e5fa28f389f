"""Before anything is queued as a template the catalogue is checked: a template that is missing, not
approved, paused, disabled or given other values than it takes never reaches Graph. It is held with
an alert that says what is wrong and how to fix it, and released once the template can go."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.catalogue_support import template_approved
from tests.conftest import fresh
from tests.fakes.graph import graph_error
from tests.whatsapp.test_statuses import WAMID, status_body
from whatsapp.catalogue.components import template_components
from whatsapp.catalogue.held import template_held_release
from whatsapp.catalogue.sync import templates_sync
from whatsapp.models import ChannelAlert, Conversation, Message, MessageTemplate
from whatsapp.outbound.notify import fallback_template, notify_user
from whatsapp.outbound.queue import TemplateInstead, document_queue, outbound_queue, template_queue
from whatsapp.outbound.sender import outbound_send
from whatsapp.replies import Reply

pytestmark = pytest.mark.django_db

REMINDER = "Hello {{1}}, you have {{2}} overdue invoice(s), {{3}} in total. Reply with any questions."
THREE = template_components(body=["Ann", "2", "EUR 120.00"])


@pytest.fixture
def conversation(member):
    return Conversation.objects.create(phone_number_id="106540352242922", contact_key="16505551234",
                                       wa_id="16505551234", user=member)


def queue(conversation, name="payment_reminder", components=THREE, **kwargs):
    return template_queue(conversation=conversation, name=name, language="en_US", components=components, **kwargs)


def held_for(message):
    message.refresh_from_db()
    return message.status, message.error_code, message.error_title


# --- what the check holds -------------------------------------------------------------------------
def test_an_approved_template_with_its_values_is_queued_and_sent_reading_as_the_person_reads_it(
        conversation, graph, django_capture_on_commit_callbacks):
    template_approved("payment_reminder", body=REMINDER)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(conversation)
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.text == "Hello Ann, you have 2 overdue invoice(s), EUR 120.00 in total. Reply with any questions."
    assert graph.sent("template")[0]["template"]["components"] == THREE


def test_a_template_missing_from_the_catalogue_is_held_and_never_reaches_graph(
        conversation, graph, settings, django_capture_on_commit_callbacks):
    settings.WHATSAPP_REMINDER_TEMPLATE = "payment_reminder"
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(conversation)
    assert held_for(message) == ("held", 132001,
                                 "Template “payment_reminder” (en_US) is not in the template catalogue")
    assert graph.sent() == []
    alert = ChannelAlert.objects.get()
    assert (alert.code, alert.source, alert.subject) == (132001, "catalogue", "payment_reminder:en_US")
    assert "the daily reminder to customers with overdue invoices" in alert.details
    assert "WHATSAPP_REMINDER_TEMPLATE" in alert.details
    assert "Run `manage.py whatsapp_templates create`" in alert.details


def test_a_template_the_account_has_in_another_language_says_which(conversation):
    template_approved("payment_reminder", "de", body=REMINDER)
    message = queue(conversation)
    assert "It has “payment_reminder” in de only." in Message.objects.get(pk=message.pk).error_details


def test_a_template_that_is_not_the_project_s_is_to_be_made_in_whatsapp_manager(conversation):
    message = queue(conversation, name="spring_sale")
    message.refresh_from_db()
    assert "Create it in WhatsApp Manager" in message.error_details and "whatsapp_templates create" not in \
        message.error_details


@pytest.mark.parametrize("status, reason, code, said", [
    ("PENDING", "", 132001, "is waiting for Meta's review"),
    ("REJECTED", "INVALID_FORMAT.", 132001, "was rejected by Meta"),
    ("PAUSED", "Paused for 3 hours.", 132015, "is paused by Meta for low quality"),
    ("DISABLED", "Disabled on 2026-11-30.", 132016, "is disabled by Meta for low quality"),
    ("LIMIT_EXCEEDED", "", 132001, "cannot be sent: its status is Limit exceeded"),
])
def test_a_template_that_is_not_approved_is_held_with_what_meta_said(conversation, graph, status, reason, code, said):
    template_approved("payment_reminder", body=REMINDER, status=status, status_reason=reason)
    message = queue(conversation)
    assert held_for(message) == ("held", code, f"Template “payment_reminder” (en_US) {said}")
    assert reason in message.error_details
    assert graph.sent() == []


def test_fewer_values_than_the_template_takes_is_held_saying_both(conversation, graph):
    template_approved("payment_reminder", body=REMINDER)
    message = queue(conversation, components=template_components(body=["Ann", "2"]))
    assert held_for(message)[:2] == ("held", 132000)
    assert ("In Meta's catalogue it takes Text {{1}}, Text {{2}}, Text {{3}}; we fill Text {{1}}, Text {{2}}."
            in message.error_details)
    assert graph.sent() == []


def test_values_for_a_template_that_takes_none_are_held(conversation):
    template_approved("payment_reminder", body="Hello! You have overdue invoices.")
    message = queue(conversation)
    assert "it takes no values; we fill Text {{1}}, Text {{2}}, Text {{3}}" in Message.objects.get(
        pk=message.pk).error_details


def test_an_empty_value_is_held(conversation):
    template_approved("payment_reminder", body=REMINDER)
    message = queue(conversation, components=template_components(body=["Ann", " ", "EUR 1"]))
    assert held_for(message)[1:] == (132000, "Template “payment_reminder” (en_US) was given an empty value")


def test_a_document_header_needs_the_document(conversation, graph, django_capture_on_commit_callbacks):
    template_approved("invoice_issued", components=[{"type": "HEADER", "format": "DOCUMENT"},
                                                    {"type": "BODY", "text": "Hello {{1}}, here is {{2}}."}])
    without = queue(conversation, name="invoice_issued", components=template_components(body=["Ann", "INV-1"]))
    assert held_for(without)[1:] == (132012, "Template “invoice_issued” (en_US) needs a document in its header")
    with django_capture_on_commit_callbacks(execute=True):
        sent = queue(conversation, name="invoice_issued", components=template_components(
            body=["Ann", "INV-1"], header_document={"id": "4490709327384033", "filename": "INV-1.pdf"}))
    sent.refresh_from_db()
    assert sent.status == "sent" and sent.text == "[document: INV-1.pdf]\nHello Ann, here is INV-1."
    (body,) = graph.sent("template")
    assert body["template"]["components"][0] == {"type": "header", "parameters": [
        {"type": "document", "document": {"id": "4490709327384033", "filename": "INV-1.pdf"}}]}


def test_a_document_header_that_names_no_file_is_held(conversation, graph):
    template_approved("invoice_issued", components=[{"type": "HEADER", "format": "DOCUMENT"},
                                                    {"type": "BODY", "text": "Hello {{1}}, here is {{2}}."}])
    nameless = queue(conversation, name="invoice_issued", components=template_components(
        body=["Ann", "INV-1"], header_document={"id": "", "filename": "INV-1.pdf"}))
    assert held_for(nameless)[1:] == (132012, "Template “invoice_issued” (en_US) was given a document without its "
                                              "file")
    assert graph.requests == []


def test_a_document_whose_window_closed_waits_for_its_template_in_the_catalogue(conversation, graph, settings,
                                                                                tmp_path):
    settings.MEDIA_ROOT = tmp_path
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(days=2))
    message = document_queue(conversation=conversation, content=b"%PDF-1.7", filename="INV-1.pdf", caption="INV-1",
                             template=TemplateInstead(name="invoice_issued", language="en_US",
                                                      body=("Ann", "INV-1", "EUR 1", "1 May")))
    outbound_send(conversation_id=conversation.pk)
    message.refresh_from_db()
    assert (message.type, message.status, message.error_code) == ("template", "held", 132001)
    assert graph.requests == []  # not even the upload
    assert ChannelAlert.objects.get().subject == "invoice_issued:en_US"


def test_one_open_alert_per_template_counts_every_held_message(conversation):
    queue(conversation)
    queue(conversation)
    queue(conversation, name="weekly_spend_summary")
    assert sorted(ChannelAlert.objects.values_list("subject", "count")) == [
        ("payment_reminder:en_US", 2), ("weekly_spend_summary:en_US", 1)]


# --- release -------------------------------------------------------------------------------------
def test_once_approved_the_held_messages_go_out_in_order_and_the_alert_is_resolved(
        conversation, graph, django_capture_on_commit_callbacks):
    template = template_approved("payment_reminder", body=REMINDER, status="PENDING")
    first = queue(conversation)
    second = queue(conversation, components=template_components(body=["Ann", "3", "EUR 150.00"]))
    MessageTemplate.objects.filter(pk=template.pk).update(status="APPROVED")
    with django_capture_on_commit_callbacks(execute=True):
        assert template_held_release(name="payment_reminder", language="en_US") == 2
    assert [m["template"]["components"][0]["parameters"][1]["text"] for m in graph.sent("template")] == ["2", "3"]
    assert held_for(first) == ("sent", None, "") and held_for(second)[0] == "sent"
    assert ChannelAlert.objects.get().resolved_at is not None


def test_a_release_checks_each_message_s_own_values(conversation):
    template = template_approved("payment_reminder", body=REMINDER, status="PENDING")
    right = queue(conversation)
    wrong = queue(conversation, components=template_components(body=["Ann"]))
    MessageTemplate.objects.filter(pk=template.pk).update(status="APPROVED")
    assert template_held_release(name="payment_reminder", language="en_US") == 1
    assert held_for(right)[0] == "queued"
    assert held_for(wrong)[:2] == ("held", 132000)
    assert ChannelAlert.objects.filter(resolved_at__isnull=True).count() == 1


def test_a_template_paused_after_it_was_queued_is_held_by_the_sender(conversation, graph):
    template = template_approved("payment_reminder", body=REMINDER)
    message = queue(conversation)
    MessageTemplate.objects.filter(pk=template.pk).update(status="PAUSED")
    assert outbound_send(conversation_id=conversation.pk) is None
    assert held_for(message)[:2] == ("held", 132015)
    assert graph.sent() == []


def test_a_template_meta_refuses_is_held_not_failed_and_the_catalogue_synced(
        conversation, graph, django_capture_on_commit_callbacks):
    template_approved("payment_reminder", body=REMINDER)
    message = queue(conversation)
    graph.fail_next(graph_error(132001, "(#132001) Template name does not exist in the translation",
                                details="template name (payment_reminder) does not exist in en_US"))
    with django_capture_on_commit_callbacks(execute=True):
        assert outbound_send(conversation_id=conversation.pk) is None
    refused = ChannelAlert.objects.get(title__startswith="Meta refused the template")
    assert "does not exist in en_US" in refused.details and refused.subject == "payment_reminder:en_US"
    assert graph.template_pages()  # the sync asked Graph for the catalogue
    # Meta does not list it: the catalogue says so now, and the message keeps waiting, saying why.
    assert MessageTemplate.objects.get().status == "DELETED"
    assert held_for(message) == ("held", 132001, "Template “payment_reminder” (en_US) cannot be sent: its status "
                                                 "is Deleted")


def test_a_refused_template_is_not_sent_again_until_its_catalogue_entry_changes(
        conversation, graph, django_capture_on_commit_callbacks):
    template = template_approved("payment_reminder", body=REMINDER, meta_id="806312974732579")
    listed = graph.add_template("payment_reminder", components=template.components, id="806312974732579")
    message = queue(conversation)
    graph.fail_next(graph_error(132000, "(#132000) Number of parameters does not match the expected number of params"))
    with django_capture_on_commit_callbacks(execute=True):
        outbound_send(conversation_id=conversation.pk)
    # The sync found the catalogue as it was: sending again would only be refused again.
    assert held_for(message)[:2] == ("held", 132000)
    assert len(graph.sent("template")) == 1
    # Meta's text changed meanwhile (an edit, approved): the next sync brings it, and it goes.
    listed["components"] = [{"type": "BODY", "text": "Dear {{1}}, {{2}} invoice(s) are overdue: {{3}}. Thank you."}]
    with django_capture_on_commit_callbacks(execute=True):
        templates_sync()
    assert held_for(message)[0] == "sent" and len(graph.sent("template")) == 2
    assert message.text == "Dear Ann, 2 invoice(s) are overdue: EUR 120.00. Thank you."


def test_a_template_meta_fails_later_is_held_for_the_catalogue_not_failed(conversation, deliver, graph):
    template = template_approved("payment_reminder", body=REMINDER)
    graph.add_template("payment_reminder", components=template.components, status="PAUSED")  # what Meta knows
    sent = Message.objects.create(conversation=conversation, direction="out", type="template", status="sent",
                                  wamid=WAMID, timestamp=timezone.now(), text="Hello Ann...",
                                  payload={"to": "+16505551234", "type": "template", "template": {
                                      "name": "payment_reminder", "language": {"code": "en_US"}, "components": THREE}})
    errors = [{"code": 132015, "title": "Template is paused", "error_data": {"details": "Template is paused."}}]
    deliver(status_body("failed", errors=errors))
    assert held_for(sent)[:2] == ("held", 132015)  # and the sync brought the pause into the catalogue
    assert MessageTemplate.objects.get().status == "PAUSED"
    assert ChannelAlert.objects.get().details.startswith("Template is paused.")


# --- the window's fallback -------------------------------------------------------------------------
def test_the_person_writing_again_releases_held_text_but_not_a_template_waiting_for_the_catalogue(
        conversation, member, deliver, graph, catalogue, django_capture_on_commit_callbacks):
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(days=2))
    conversation.refresh_from_db()
    reminder = queue(conversation, name="spring_sale")  # not in the catalogue
    with django_capture_on_commit_callbacks(execute=True):
        outbound_queue(conversation=conversation, reply=Reply(text="Your invoice is ready."))
    deliver(fresh("messages__text"))
    assert "Your invoice is ready." in graph.texts()
    assert held_for(reminder)[0] == "held"


def test_a_held_reengagement_is_not_sent_once_the_person_has_written(
        conversation, deliver, graph, settings, django_capture_on_commit_callbacks):
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(days=2))
    conversation.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        outbound_queue(conversation=conversation, reply=Reply(text="Your invoice is ready."))
    reengagement = Message.objects.get(type="template")
    assert held_for(reengagement)[0] == "held"  # reply_waiting is not in the catalogue
    deliver(fresh("messages__text"))
    reengagement.refresh_from_db()
    assert (reengagement.status, reengagement.error_title) == ("failed", "Not needed")
    assert graph.sent("template") == []


def test_a_notification_s_own_template_asks_the_person_to_write_when_the_window_is_closed(
        member, graph, catalogue, settings, deliver, django_capture_on_commit_callbacks):
    fallback = fallback_template(name=settings.WHATSAPP_REVIEW_OUTCOME_TEMPLATE, language="en_US",
                                 body=["#12 (EUR 42.50, fuel)", "approved", "Maria Ortega"])
    with django_capture_on_commit_callbacks(execute=True):
        (text,) = notify_user(user=member, text="Your expense #12 was approved. Note: thanks!", fallback=fallback)
    (sent,) = graph.sent("template")
    assert sent["template"]["name"] == settings.WHATSAPP_REVIEW_OUTCOME_TEMPLATE
    template = Message.objects.get(type="template")
    assert template.text == ("Your expense #12 (EUR 42.50, fuel) was approved by Maria Ortega. Reply to this message "
                             "to read the full review.")
    assert held_for(text)[0] == "held" and graph.texts() == []
    deliver(fresh("messages__text"))
    assert graph.texts()[0] == "Your expense #12 was approved. Note: thanks!"
