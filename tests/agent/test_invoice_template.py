"""An invoice whose customer's 24-hour window is closed goes out as the approved invoice template,
its PDF in the DOCUMENT header, checked against the catalogue as `manage.py whatsapp_templates sync`
fills it from Graph (the fake). While the template cannot go (missing, not approved, paused, other
placeholders) the invoice is held with a staff alert and nothing reaches Graph; Meta's approval
(a signed status webhook) releases it with its file. A document Meta fails later with 131047 (a
signed status webhook) goes again, once, as that template with the same file."""

import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from agent.invoices.sending import customer_conversation, invoice_send
from agent.models import Invoice
from config.display import local_date
from tests.agent.document_support import complete_profile
from tests.agent.factories import person
from tests.agent.test_invoice_sending import CUSTOMER_PHONE, acme, invoice_for, lena, pdf_text  # noqa: F401
from tests.catalogue_support import meta_lists_project_templates
from tests.conftest import as_body, webhook_json
from whatsapp.models import ChannelAlert, Conversation, Message, MessageTemplate

pytestmark = pytest.mark.django_db

INVOICE_TEMPLATE = "WHATSAPP_INVOICE_TEMPLATE"
# What Meta says when a free-form message finds the window closed after it accepted it.
WINDOW_CLOSED = [{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
                  "error_data": {"details": "Message failed to send because more than 24 hours have passed since "
                                            "the customer last replied to this number."},
                  "href": "/documentation/business-messaging/whatsapp/support/error-codes"}]


@pytest.fixture(autouse=True)
def issuable(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    complete_profile()


def synced(graph, **statuses) -> dict[str, dict]:
    """The account lists the project's templates (as `statuses` says) and the catalogue is synced."""
    listed = meta_lists_project_templates(graph, **statuses)
    call_command("whatsapp_templates", "sync", stdout=StringIO())
    return listed


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def run(invoice: Invoice) -> Message:
        with django_capture_on_commit_callbacks(execute=True):
            invoice_send(user=person(), invoice_id=invoice.pk)
        return Invoice.objects.get(pk=invoice.pk).sent_message

    return run


def template_status_body(event: str, listed: dict) -> bytes:
    """Meta's template status webhook (the fixture's shape) for a template the account lists."""
    document = webhook_json("message_template_status_update__approved")
    value = document["entry"][0]["changes"][0]["value"]
    value.update(event=event, message_template_id=int(listed["id"]), message_template_name=listed["name"],
                 message_template_language=listed["language"])
    return as_body(document)


def failed_status_body(wamid: str, errors: list) -> bytes:
    """Meta's failed status webhook (tests/fixtures/webhook/statuses__failed.json) for our message."""
    document = webhook_json("statuses__failed")
    report = document["entry"][0]["changes"][0]["value"]["statuses"][0]
    report.update(id=wamid, timestamp=str(int(time.time())), recipient_id=CUSTOMER_PHONE.lstrip("+"), errors=errors)
    return as_body(document)


def body_values(invoice: Invoice) -> list[str]:
    return ["Lena", invoice.number, "EUR 1,428.00", local_date(invoice.due_on)]


def the_invoice_template_carried_its_pdf(graph, invoice: Invoice) -> dict:
    """Graph received the invoice's PDF, then the invoice template naming that upload in its header."""
    [upload] = graph.uploads()
    assert (upload["type"], upload["filename"]) == ("application/pdf", f"{invoice.number}.pdf")
    assert f"Invoice {invoice.number}" in pdf_text(upload["content"])
    [sent] = graph.sent("template")
    header, body = sent["template"]["components"]
    media_id = header["parameters"][0]["document"]["id"]
    assert graph.media[media_id][0] == upload["content"]
    assert sent["to"] == CUSTOMER_PHONE
    assert sent["template"]["name"] == "invoice_issued" and sent["template"]["language"] == {"code": "en_US"}
    assert header == {"type": "header", "parameters": [
        {"type": "document", "document": {"id": media_id, "filename": f"{invoice.number}.pdf"}}]}
    assert body == {"type": "body", "parameters": [{"type": "text", "text": v} for v in body_values(invoice)]}
    return sent


# --- the approved template, as the sync stored it ------------------------------------------------------
def test_outside_the_window_the_pdf_is_uploaded_then_the_synced_invoice_template_names_it(graph, acme, send):
    synced(graph)
    assert MessageTemplate.objects.get(name="invoice_issued").components[0]["format"] == "DOCUMENT"
    invoice = invoice_for(acme)

    message = send(invoice)

    the_invoice_template_carried_its_pdf(graph, invoice)
    upload_at, send_at = (n for n, r in enumerate(graph.requests) if r.method == "POST")
    assert graph.requests[upload_at].url.endswith("/media") and graph.requests[send_at].url.endswith("/messages")
    message.refresh_from_db()
    assert (message.type, message.status, message.error_code) == ("template", "sent", None)
    assert message.text == (f"[document: {invoice.number}.pdf]\nHello Lena, here is invoice {invoice.number} for "
                            f"EUR 1,428.00, due on {local_date(invoice.due_on)}. Reply to this message if you have "
                            "any questions.")
    assert not ChannelAlert.objects.exists()


# --- held while it cannot go, released by Meta's approval ------------------------------------------------
def other_placeholders(graph):
    """The account's invoice template takes three values in its body; the project fills four."""
    return graph.add_template("invoice_issued", components=[
        {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["https://scontent.example/x.pdf"]}},
        {"type": "BODY", "text": "Hello {{1}}, here is invoice {{2}} for {{3}}.",
         "example": {"body_text": [["Ann", "INV-1", "EUR 1.00"]]}}])


HELD = {
    "missing": ("", 132001, "Template “invoice_issued” (en_US) is not in the template catalogue"),
    "pending": ("PENDING", 132001, "Template “invoice_issued” (en_US) is waiting for Meta's review"),
    "rejected": ("REJECTED", 132001, "Template “invoice_issued” (en_US) was rejected by Meta"),
    "paused": ("PAUSED", 132015, "Template “invoice_issued” (en_US) is paused by Meta for low quality"),
    "other placeholders": ("", 132000, "Template “invoice_issued” (en_US) takes other values than we fill"),
}


@pytest.mark.parametrize("case", HELD)
def test_an_invoice_whose_template_cannot_go_is_held_with_an_alert_and_released_with_its_pdf_once_approved(
        case, graph, acme, send, deliver):
    status, code, title = HELD[case]
    synced(graph, **{INVOICE_TEMPLATE: status})
    if case == "other placeholders":
        other_placeholders(graph)
        call_command("whatsapp_templates", "sync", stdout=StringIO())
    invoice = invoice_for(acme)

    message = send(invoice)

    message.refresh_from_db()
    assert (message.type, message.status, message.error_code, message.error_title) == ("template", "held", code,
                                                                                        title)
    assert graph.uploads() == [] and graph.sent() == []  # not even the upload
    alert = ChannelAlert.objects.get(source="catalogue")
    assert (alert.subject, alert.code, alert.title, alert.resolved_at) == ("invoice_issued:en_US", code, title, None)

    # Meta approves it (created, reviewed, unpaused, or edited to take the four values).
    graph.templates = [t for t in graph.templates if t["name"] != "invoice_issued"]
    [listed] = meta_lists_project_templates(graph, **{s: "" for s in ("WHATSAPP_REENGAGEMENT_TEMPLATE",
                                                                      "WHATSAPP_REMINDER_TEMPLATE",
                                                                      "WHATSAPP_WEEKLY_SUMMARY_TEMPLATE",
                                                                      "WHATSAPP_REVIEW_OUTCOME_TEMPLATE")}).values()
    response, _ = deliver(template_status_body("APPROVED", listed))
    assert response.status_code == 200

    the_invoice_template_carried_its_pdf(graph, invoice)
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("sent", None)
    alert.refresh_from_db()
    assert alert.resolved_at is not None


# --- Meta fails the document later: the window had closed ----------------------------------------------
@pytest.fixture
def window_open_to_us(acme):
    """Lena wrote a moment ago as far as we know, so the invoice goes as a document."""
    conversation = customer_conversation(acme)
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now())
    return conversation


def test_a_document_meta_fails_later_with_131047_goes_once_as_the_invoice_template_with_the_same_file(
        graph, acme, send, deliver, window_open_to_us):
    synced(graph)
    invoice = invoice_for(acme)
    message = send(invoice)
    [document] = graph.sent("document")
    document_wamid = Message.objects.get(pk=message.pk).wamid

    response, _ = deliver(failed_status_body(document_wamid, WINDOW_CLOSED))
    assert response.status_code == 200

    sent = the_invoice_template_carried_its_pdf(graph, invoice)  # one upload: the document's
    assert sent["template"]["components"][0]["parameters"][0]["document"]["id"] == document["document"]["id"]
    message.refresh_from_db()
    assert (message.type, message.status) == ("template", "sent")
    assert message.wamid != document_wamid
    assert message.data["document_failed"]["wamid"] == document_wamid
    assert message.data["document_failed"]["error_code"] == 131047
    assert Invoice.objects.get(pk=invoice.pk).sent_message == message  # its ticks follow the template

    # Meta delivers the same webhook again, and the template's own failure is no window's: once only.
    deliver(failed_status_body(document_wamid, WINDOW_CLOSED))
    deliver(failed_status_body(message.wamid, WINDOW_CLOSED))
    assert len(graph.sent("template")) == 1 and len(graph.uploads()) == 1
    message.refresh_from_db()
    assert (message.type, message.status, message.error_code) == ("template", "failed", 131047)


def test_a_document_failed_later_waits_with_an_alert_when_its_template_cannot_go(
        graph, acme, send, deliver, window_open_to_us):
    listed = synced(graph)[INVOICE_TEMPLATE]
    invoice = invoice_for(acme)
    message = send(invoice)
    deliver(template_status_body("PAUSED", listed))

    deliver(failed_status_body(Message.objects.get(pk=message.pk).wamid, WINDOW_CLOSED))

    message.refresh_from_db()
    assert (message.type, message.status, message.error_code) == ("template", "held", 132015)
    assert graph.sent("template") == []
    assert ChannelAlert.objects.get(source="catalogue").subject == "invoice_issued:en_US"
    listed["status"] = "APPROVED"
    deliver(template_status_body("UNPAUSED", listed))
    the_invoice_template_carried_its_pdf(graph, invoice)
    assert json.loads(graph.requests[-1].body)["type"] == "template"
