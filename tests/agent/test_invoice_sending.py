"""Sending an invoice's PDF on WhatsApp: staff through the assistant after their own Yes, customers
their own invoices only, inside the 24-hour window as a document and outside it through the invoice
template; what Graph receives is the upload of the invoice's own PDF and the message naming it."""

import io
import time
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import User
from agent import services
from agent.invoices.sending import InvoiceNotSendable, customer_conversation, invoice_check_sendable, invoice_send
from agent.models import Invoice, PendingAction
from config.display import local_date
from tests.agent.confirm_support import tap, yes_button
from tests.agent.document_support import addressed_customer, complete_profile
from tests.agent.factories import person
from whatsapp.models import Conversation, Message

pytestmark = pytest.mark.django_db

CUSTOMER_PHONE = "+4915112345678"
CUSTOMER_WA_ID = CUSTOMER_PHONE.lstrip("+")


@pytest.fixture(autouse=True)
def issuable(settings, tmp_path, catalogue):
    """The business profile is complete, and the invoice template approved in the catalogue."""
    settings.MEDIA_ROOT = tmp_path
    settings.WHATSAPP_INVOICE_TEMPLATE = "invoice_issued"
    complete_profile()


@pytest.fixture
def lena(db):
    """A customer's contact on the allow-list, linked to the customer record."""
    return User.objects.create_user(username="lena", phone_number=CUSTOMER_PHONE, first_name="Lena",
                                    role=User.Role.CUSTOMER)


@pytest.fixture
def acme(lena):
    return addressed_customer(company_name="Acme GmbH", contact_name="Lena", user=lena)


def invoice_for(customer, *, by=None, **fields) -> Invoice:
    fields.setdefault("description", "Consulting")
    fields.setdefault("gross", "1,428")
    return services.invoice_create(user=by or person(), customer_id=customer.pk, **fields)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def the_customer_wrote(fake_openai, say):
    """The customer writes, so their 24-hour window is open."""
    fake_openai.reply("Hello Lena, how can I help?")
    say("Hello", sender=CUSTOMER_WA_ID)


def ask_to_send(fake_openai, say, invoice, **extra):
    fake_openai.call(("send_invoice", {"invoice_id": invoice.pk, **extra}))
    fake_openai.reply("Shall I send it?")
    say(f"send {invoice.number} to the customer")


# --- staff, on WhatsApp, after their own Yes ------------------------------------------------------
def test_staff_are_asked_first_and_nothing_goes_out_before_their_yes(fake_openai, staff, say, graph, acme):
    invoice = invoice_for(acme)
    ask_to_send(fake_openai, say, invoice)
    [question] = graph.sent("interactive")
    assert question["interactive"]["body"]["text"].endswith(
        f"Send invoice {invoice.number} (EUR 1,428.00) as a PDF to “Acme GmbH” on WhatsApp (+49 1511 2345678)?")
    assert graph.uploads() == [] and graph.sent("document") == [] and graph.sent("template") == []
    assert PendingAction.objects.get().tool == "send_invoice"


def test_their_yes_uploads_the_invoices_pdf_and_sends_it_as_a_document_inside_the_window(
        fake_openai, staff, say, graph, acme, lena):
    invoice = invoice_for(acme)
    the_customer_wrote(fake_openai, say)
    ask_to_send(fake_openai, say, invoice)
    tap(say, yes_button(graph))

    [upload] = graph.uploads()
    assert (upload["type"], upload["filename"]) == ("application/pdf", f"{invoice.number}.pdf")
    text = pdf_text(upload["content"])
    assert f"Invoice {invoice.number}" in text and "Acme GmbH" in text and "EUR 1,428.00" in text
    [document] = graph.sent("document")
    assert document["to"] == CUSTOMER_PHONE
    assert document["document"]["filename"] == f"{invoice.number}.pdf"
    assert graph.media[document["document"]["id"]][0] == upload["content"]
    assert document["document"]["caption"] == (f"Invoice {invoice.number}: EUR 1,428.00, due on "
                                               f"{local_date(invoice.due_on)}.")
    assert graph.texts()[-1] == f"Invoice {invoice.number} is on its way to Acme GmbH on WhatsApp as a PDF."
    invoice.refresh_from_db()
    assert invoice.sent_message.type == "document" and invoice.sent_message.status == "sent"
    assert invoice.sent_message.sent_by == staff


def test_outside_the_window_the_invoice_template_carries_the_pdf(fake_openai, staff, say, graph, acme):
    invoice = invoice_for(acme)
    ask_to_send(fake_openai, say, invoice)
    tap(say, yes_button(graph))

    [upload] = graph.uploads()
    assert invoice.number in pdf_text(upload["content"])
    assert graph.sent("document") == []
    [template] = graph.sent("template")
    assert template["to"] == CUSTOMER_PHONE
    header, body = template["template"]["components"]
    assert template["template"]["name"] == "invoice_issued"
    assert header["parameters"][0]["document"]["filename"] == f"{invoice.number}.pdf"
    assert graph.media[header["parameters"][0]["document"]["id"]][0] == upload["content"]
    assert [p["text"] for p in body["parameters"]] == ["Lena", invoice.number, "EUR 1,428.00",
                                                       local_date(invoice.due_on)]
    invoice.refresh_from_db()
    assert invoice.sent_message.type == "template" and invoice.sent_message.status == "sent"


def test_a_model_that_claims_the_person_confirmed_only_asks(fake_openai, staff, say, graph, acme):
    invoice = invoice_for(acme)
    ask_to_send(fake_openai, say, invoice, confirm=True, confirmed=True, person_confirmed=True)
    [result] = fake_openai.tool_results(1)
    assert result["confirmation_required"] is True
    assert graph.uploads() == [] and graph.sent("document") == [] and graph.sent("template") == []
    invoice.refresh_from_db()
    assert invoice.sent_message is None


def test_an_invoice_id_the_model_invented_is_not_found_and_nothing_is_asked(fake_openai, staff, say, graph, acme):
    invoice_for(acme)
    fake_openai.call(("send_invoice", {"invoice_id": 424242}))
    fake_openai.reply("I couldn't find it.")
    say("send the invoice")
    assert fake_openai.tool_results(1) == [{"ok": False, "error": "Invoice #424242 not found."}]
    assert graph.sent("interactive") == [] and graph.uploads() == [] and not PendingAction.objects.exists()


def test_a_tap_on_an_invented_or_someone_elses_button_sends_nothing(fake_openai, staff, manager, say, graph, acme):
    invoice = invoice_for(acme)
    ask_to_send(fake_openai, say, invoice)
    action = PendingAction.objects.get()
    tap(say, f"confirm:{action.pk}:not-the-token:yes")
    tap(say, f"confirm:{action.pk + 1}:{action.token}:yes")
    tap(say, yes_button(graph), sender="972987654321")  # the manager taps Sheena's button
    assert graph.uploads() == [] and graph.sent("document") == [] and graph.sent("template") == []
    assert PendingAction.objects.get().state == PendingAction.State.PENDING


def test_a_customer_without_whatsapp_is_refused_before_anything_is_asked(fake_openai, staff, say, graph):
    nobody = addressed_customer(company_name="Offline AG")
    invoice = invoice_for(nobody)
    ask_to_send(fake_openai, say, invoice)
    [result] = fake_openai.tool_results(1)
    assert result == {"ok": False, "error": "Offline AG has no WhatsApp number: add the customer's phone, or link "
                                            "the person who writes for them, first."}
    assert graph.sent("interactive") == []


def test_customers_cannot_use_the_staff_tool(fake_openai, lena, acme, say, graph):
    invoice = invoice_for(acme)
    fake_openai.call(("send_invoice", {"invoice_id": invoice.pk}))
    fake_openai.reply("I can't do that.")
    say("send it", sender=CUSTOMER_WA_ID)
    assert fake_openai.tool_results(1)[0]["error"] == "The tool 'send_invoice' is not available to you."
    assert graph.uploads() == []


# --- the checks, as the admin and the API meet them ----------------------------------------------
def test_what_cannot_be_sent_says_why(acme):
    staff = person()
    bare = addressed_customer(company_name="No Street Ltd", address="", phone="+447700900123")
    unissuable = invoice_for(bare)
    with pytest.raises(InvoiceNotSendable, match="the customer No Street Ltd lacks address") as caught:
        invoice_check_sendable(user=staff, invoice_id=unissuable.pk)
    assert caught.value.extra == {"missing": {"customer No Street Ltd": ["address"]}}
    void = invoice_for(acme)
    services.invoice_void(user=staff, invoice_id=void.pk)
    with pytest.raises(InvoiceNotSendable, match="is void"):
        invoice_check_sendable(user=staff, invoice_id=void.pk)


def test_a_customer_record_without_a_linked_person_is_reached_on_its_phone(graph, django_capture_on_commit_callbacks):
    beta = addressed_customer(company_name="Beta Ltd", phone="+447700900123")
    invoice = invoice_for(beta)
    with django_capture_on_commit_callbacks(execute=True):
        invoice_send(user=person(), invoice_id=invoice.pk)
    assert [t["to"] for t in graph.sent("template")] == ["+447700900123"]


def test_sending_a_draft_issues_it(acme):
    draft = invoice_for(acme, status=Invoice.Status.DRAFT)
    sent = invoice_send(user=person(), invoice_id=draft.pk)
    assert sent.status == Invoice.Status.SENT and sent.sent_message.status == Message.Status.QUEUED


# --- customers: their own invoices, in their own chat ---------------------------------------------
def ask_for_mine(fake_openai, say, *numbers):
    fake_openai.call(("send_my_invoices", {"numbers": list(numbers)} if numbers else {}))
    fake_openai.reply("Here you are.")
    say("send me my invoice", sender=CUSTOMER_WA_ID)


def test_a_customer_gets_their_invoice_by_number_at_once_without_a_question(fake_openai, lena, acme, say, graph):
    invoice = invoice_for(acme)
    ask_for_mine(fake_openai, say, invoice.number.lower())
    [upload] = graph.uploads()
    assert invoice.number in pdf_text(upload["content"])
    [document] = graph.sent("document")
    assert document["to"] == CUSTOMER_PHONE and document["document"]["filename"] == f"{invoice.number}.pdf"
    assert graph.sent("interactive") == [] and not PendingAction.objects.exists()
    assert fake_openai.tool_results(1)[0]["summary"] == f"Sent as PDF: {invoice.number}."


def test_a_customer_asking_for_another_customers_invoice_is_politely_not_found(fake_openai, lena, acme, say, graph):
    other = invoice_for(addressed_customer(company_name="Rival GmbH", phone="+447700900999"))
    ask_for_mine(fake_openai, say, other.number)
    [result] = fake_openai.tool_results(1)
    assert result["sent"] == [] and result["not_sent"] == [
        f"I couldn't find invoice {other.number} among your invoices; please check the number."]
    assert graph.uploads() == [] and graph.sent("document") == []


def test_my_invoices_without_numbers_sends_their_open_ones_only(fake_openai, lena, acme, say, graph):
    staff = person()
    open_one = invoice_for(acme, by=staff)
    paid = invoice_for(acme, by=staff)
    services.invoice_mark_paid(user=staff, invoice_id=paid.pk)
    invoice_for(acme, by=staff, status=Invoice.Status.DRAFT)
    invoice_for(addressed_customer(company_name="Rival GmbH"), by=staff)
    ask_for_mine(fake_openai, say)
    assert [d["document"]["filename"] for d in graph.sent("document")] == [f"{open_one.number}.pdf"]


def test_a_customer_is_not_told_what_the_business_profile_lacks(fake_openai, lena, acme, say, graph):
    invoice = invoice_for(acme)
    complete_profile().__class__.objects.update(iban="")
    ask_for_mine(fake_openai, say, invoice.number)
    [result] = fake_openai.tool_results(1)
    assert result["not_sent"] == [f"I can't send invoice {invoice.number} as a document just now; the team can "
                                  f"send it to you."]
    assert "IBAN" not in str(result)


# --- the API ---------------------------------------------------------------------------------------
@pytest.fixture
def api():
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(person(first_name="Ann"))
    return client


def test_the_api_queues_the_pdf_and_answers_202_with_the_invoice(api, acme, graph,
                                                                 django_capture_on_commit_callbacks):
    invoice = invoice_for(acme)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/invoices/{invoice.pk}/send/")
    assert response.status_code == 202
    assert response.json()["number"] == invoice.number
    assert response.json()["whatsapp"]["status"] == "queued"
    [upload] = graph.uploads()
    assert invoice.number in pdf_text(upload["content"])
    assert len(graph.sent("template")) == 1
    shown = api.get(f"/api/invoices/{invoice.pk}/").json()["whatsapp"]
    assert (shown["type"], shown["status"]) == ("template", "sent") and shown["sent_at"]


def test_the_api_shows_the_delivery_ticks_as_meta_reports_them(api, acme, graph, signed_post,
                                                               django_capture_on_commit_callbacks):
    from tests.whatsapp.test_statuses import status_body

    invoice = invoice_for(acme)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/invoices/{invoice.pk}/send/")
    wamid = Invoice.objects.get(pk=invoice.pk).sent_message.wamid
    now = int(time.time())
    signed_post(status_body("delivered", wamid=wamid, timestamp=now))
    assert api.get(f"/api/invoices/{invoice.pk}/").json()["whatsapp"]["status"] == "delivered"
    signed_post(status_body("read", wamid=wamid, timestamp=now + 5))
    shown = api.get("/api/invoices/").json()["results"][0]["whatsapp"]
    assert shown["status"] == "read" and shown["delivered_at"] and shown["read_at"]


def test_the_api_answers_409_when_the_customer_has_no_whatsapp(api, graph):
    invoice = invoice_for(addressed_customer(company_name="Offline AG"))
    response = api.post(f"/api/invoices/{invoice.pk}/send/")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Offline AG has no WhatsApp number")
    assert Invoice.objects.get(pk=invoice.pk).sent_message is None and graph.uploads() == []


def test_the_api_answers_409_naming_what_an_unissuable_invoice_lacks(api, acme):
    invoice = invoice_for(acme)
    complete_profile().__class__.objects.update(iban="")
    response = api.post(f"/api/invoices/{invoice.pk}/send/")
    assert response.status_code == 409
    assert response.json()["missing"] == {"business profile": ["IBAN"]}


def test_the_api_answers_404_for_an_unknown_invoice_and_403_to_customers(api, lena, acme):
    assert api.post("/api/invoices/424242/send/").status_code == 404
    api.force_authenticate(lena)
    assert api.post(f"/api/invoices/{invoice_for(acme).pk}/send/").status_code == 403


def test_the_send_endpoint_is_in_the_openapi_schema(api):
    paths = api.get("/api/schema/?format=json").json()["paths"]
    operation = paths["/api/invoices/{id}/send/"]["post"]
    assert {"202", "404", "409"} <= set(operation["responses"])
    invoice_fields = api.get("/api/schema/?format=json").json()["components"]["schemas"]["Invoice"]["properties"]
    assert "whatsapp" in invoice_fields


# --- the admin -------------------------------------------------------------------------------------
@pytest.fixture
def admin_client(client):
    from tests.agent.admin_support import admin_staff

    client.force_login(admin_staff())
    return client


def test_the_admin_action_sends_each_invoice_it_may_and_names_the_others_with_why(
        admin_client, acme, graph, django_capture_on_commit_callbacks):
    reachable = invoice_for(acme)
    offline = invoice_for(addressed_customer(company_name="Offline AG"))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:agent_invoice_changelist"), {
            "action": "send_on_whatsapp", "_selected_action": [reachable.pk, offline.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"Not sent {offline.number}: Offline AG has no WhatsApp number: add the customer's phone, or link the "
        f"person who writes for them, first.",
        "1 invoice(s) on their way on WhatsApp.",
    ]
    [upload] = graph.uploads()
    assert reachable.number in pdf_text(upload["content"])
    assert [t["to"] for t in graph.sent("template")] == [CUSTOMER_PHONE]
    assert Invoice.objects.get(pk=offline.pk).sent_message is None


def test_the_invoice_page_has_a_send_button_that_posts_and_then_shows_the_ticks(
        admin_client, acme, graph, signed_post, django_capture_on_commit_callbacks):
    from tests.whatsapp.test_statuses import status_body

    invoice = invoice_for(acme)
    page = admin_client.get(reverse("admin:agent_invoice_change", args=[invoice.pk])).content.decode()
    send_url = reverse("admin:agent_invoice_send", args=[invoice.pk])
    assert f'action="{send_url}"' in page and 'id="invoice-send"' in page
    assert admin_client.get(send_url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(send_url, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"Invoice {invoice.number} is on its way to Acme GmbH on WhatsApp; its ticks show here."]
    assert "🕓 Queued" in response.content.decode()  # until the send after commit
    page = admin_client.get(reverse("admin:agent_invoice_change", args=[invoice.pk])).content.decode()
    assert "✓ Sent" in page
    signed_post(status_body("read", wamid=Invoice.objects.get(pk=invoice.pk).sent_message.wamid,
                            timestamp=int(time.time())))
    listing = admin_client.get(reverse("admin:agent_invoice_changelist")).content.decode()
    assert "✓✓ Read" in listing and "as the invoice template" in listing


def test_the_ticks_on_the_invoice_follow_metas_signed_status_webhooks_in_the_api_and_the_admin(
        api, admin_client, acme, graph, signed_post, django_capture_on_commit_callbacks):
    from tests.whatsapp.test_statuses import status_body

    invoice = invoice_for(acme)
    Conversation.objects.filter(pk=customer_conversation(acme).pk).update(last_inbound_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/invoices/{invoice.pk}/send/").status_code == 202
    wamid = Invoice.objects.get(pk=invoice.pk).sent_message.wamid
    page_url = reverse("admin:agent_invoice_change", args=[invoice.pk])
    at = int(time.time())
    for seconds, (status, ticks, time_field) in enumerate((("sent", "✓ Sent", "sent_at"),
                                                           ("delivered", "✓✓ Delivered", "delivered_at"),
                                                           ("read", "✓✓ Read", "read_at")), start=1):
        assert signed_post(status_body(status, wamid=wamid, timestamp=at + seconds)).status_code == 200
        shown = api.get(f"/api/invoices/{invoice.pk}/").json()["whatsapp"]
        assert (shown["type"], shown["status"]) == ("document", status) and shown[time_field]
        page = admin_client.get(page_url).content.decode()
        assert f'class="invoice-delivery delivery-{status}"' in page and ticks in page
    assert datetime.fromisoformat(shown["read_at"].replace("Z", "+00:00")).timestamp() == at + 3
    listing = admin_client.get(reverse("admin:agent_invoice_changelist")).content.decode()
    assert "✓✓ Read" in listing and "as the invoice template" not in listing


def test_the_send_button_checks_the_invoice_and_the_permission(client, acme, graph):
    from tests.agent.admin_support import admin_staff

    invoice = invoice_for(acme)
    viewer = admin_staff(phone="+4915100000009", codenames=("view_invoice",))
    client.force_login(viewer)
    send_url = reverse("admin:agent_invoice_send", args=[invoice.pk])
    assert 'id="invoice-send"' not in client.get(reverse("admin:agent_invoice_change", args=[invoice.pk])).content.decode()
    assert client.post(send_url).status_code == 403
    assert client.post(reverse("admin:agent_invoice_send", args=[424242])).status_code == 404
    assert graph.uploads() == [] and Invoice.objects.get(pk=invoice.pk).sent_message is None
