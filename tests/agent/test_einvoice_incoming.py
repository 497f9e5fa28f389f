"""E-invoices sent on WhatsApp: read exactly from their XML (tests/fixtures/einvoice, made with the
factur-x library by make.py there), recorded as an expense, the model only suggesting the category;
broken ones answered clearly and kept for review. Plus the business profile's admin."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import User
from agent.invoices.incoming import Unreadable, einvoice_read
from agent.models import Expense, IncomingEInvoice, PendingAction
from tests.agent.factories import person

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "einvoice"
DOCUMENT_ID = "1234567890987654321"  # messages__document.json
MANAGER_NUMBER = "972987654321"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def send(say, graph, name: str, mime: str, caption: str = "from our supplier"):
    graph.add_media(DOCUMENT_ID, fixture(name), mime)
    say(kind="document", sender=MANAGER_NUMBER, caption=caption, filename=name, mime_type=mime)


# --- reading (pure) -------------------------------------------------------------------------------
def test_it_reads_a_factur_x_pdf_exactly():
    read = einvoice_read(fixture("facturx_en16931.pdf"), mime_type="application/pdf")
    assert (read.seller, read.seller_vat_id, read.number, str(read.issued_on), read.currency) == (
        "Nordlicht Software GmbH", "DE811907980", "NL-2026-0042", "2026-11-03", "EUR")
    assert (read.net, read.tax, read.gross, read.tax_rate) == (
        Decimal("249.00"), Decimal("47.31"), Decimal("296.31"), Decimal("0.1900"))
    assert read.syntax == "Factur-X / ZUGFeRD PDF (CII)"


def test_it_reads_an_xrechnung_cii_file_with_two_rates():
    read = einvoice_read(fixture("xrechnung_cii.xml"), mime_type="application/xml")
    assert read.syntax == "XRechnung XML (CII)"
    assert (read.seller, read.number, read.net, read.tax, read.gross, read.tax_rate) == (
        "Bäckerei Hansen KG", "2026-1187", Decimal("204.50"), Decimal("28.72"), Decimal("233.22"), None)
    assert [(r.rate, r.net, r.tax) for r in read.by_rate] == [
        (Decimal("0.1900"), Decimal("120.00"), Decimal("22.80")), (Decimal("0.0700"), Decimal("84.50"), Decimal("5.92"))]


def test_it_reads_a_ubl_invoice():
    read = einvoice_read(fixture("invoice_ubl.xml"), filename="invoice_ubl.xml")
    assert (read.syntax, read.number, read.gross) == ("EN 16931 XML (UBL)", "NL-2026-0043", Decimal("296.31"))


def test_an_ordinary_pdf_is_not_an_einvoice():
    assert einvoice_read(fixture("plain.pdf"), mime_type="application/pdf") is None


@pytest.mark.parametrize("name, reason", [
    ("broken_not_xml.xml", "the file is not well-formed XML"),
    ("broken_schema.xml", "the e-invoice does not follow the standard's schema"),
    ("broken_totals.xml", "its amounts do not add up (net 249.00 + tax 47.31 is not the gross 396.31)"),
    ("pdf_with_broken_xml.pdf", "the PDF carries an XML file that is not a readable e-invoice"),
])
def test_it_refuses_a_broken_einvoice_and_says_why(name, reason):
    with pytest.raises(Unreadable) as refused:
        einvoice_read(fixture(name), filename=name)
    assert refused.value.reason == reason


# --- on WhatsApp ----------------------------------------------------------------------------------
def test_a_factur_x_pdf_becomes_an_expense_read_from_its_xml_and_the_model_suggests_the_category(
        fake_openai, manager, say, graph):
    fake_openai.reply("Recorded expense: Nordlicht Software GmbH, NL-2026-0042, EUR 296.31. Software?")
    send(say, graph, "facturx_en16931.pdf", "application/pdf")
    expense = Expense.objects.get()
    assert (expense.merchant, expense.net, expense.tax_rate, expense.gross, expense.currency, str(expense.spent_on),
            expense.category, expense.submitted_by) == (
        "Nordlicht Software GmbH", Decimal("249.00"), Decimal("0.1900"), Decimal("296.31"), "EUR", "2026-11-03",
        "other", manager)
    assert expense.description == "Invoice NL-2026-0042: Invoicing software, yearly plan; Setup support"
    with expense.receipt.open("rb") as handle:
        assert handle.read() == fixture("facturx_en16931.pdf")
    record = IncomingEInvoice.objects.get()
    assert (record.status, record.expense, record.number) == ("recorded", expense, "NL-2026-0042")
    content = fake_openai.chat_requests[0]["messages"][-1]["content"]
    assert content.startswith(f"[E-invoice facturx_en16931.pdf: read exactly from its XML (Factur-X / ZUGFeRD PDF "
                              f"(CII)) and already recorded by the system as expense #{expense.pk}")
    assert "Seller: ⟦Nordlicht Software GmbH⟧ (VAT id ⟦DE811907980⟧)" in content
    assert "Amounts: net EUR 249.00, tax EUR 47.31, gross EUR 296.31" in content
    assert "update_expense" in content and "They wrote with it: from our supplier" in content
    assert graph.texts() == ["Recorded expense: Nordlicht Software GmbH, NL-2026-0042, EUR 296.31. Software?"]


def test_the_category_the_model_suggests_changes_only_on_the_persons_yes(fake_openai, manager, say, graph):
    fake_openai.reply("Recorded.")
    send(say, graph, "facturx_en16931.pdf", "application/pdf")
    expense = Expense.objects.get()
    fake_openai.call(("update_expense", {"expense_id": expense.pk, "category": "software"}))
    fake_openai.reply("Shall I file it under software?")
    say("yes, software", sender=MANAGER_NUMBER)
    expense.refresh_from_db()
    assert expense.category == "other"  # asked, not changed
    body = graph.sent("interactive")[-1]["interactive"]["body"]["text"]
    # The model's words, then the code's own question last, above the buttons.
    assert body.startswith("Shall I file it under software?")
    assert body.endswith("category to software?") and "Change expense #" in body
    assert PendingAction.objects.get().question.endswith("category to software?")


def test_an_xrechnung_xml_becomes_an_expense_at_its_effective_rate(fake_openai, manager, say, graph):
    fake_openai.reply("Recorded.")
    send(say, graph, "xrechnung_cii.xml", "application/xml")
    expense = Expense.objects.get()
    assert (expense.merchant, expense.net, expense.gross, expense.tax) == (
        "Bäckerei Hansen KG", Decimal("204.50"), Decimal("233.22"), Decimal("28.72"))


def test_without_the_model_the_person_is_told_what_was_recorded(assistant_without_llm, manager, say, graph):
    send(say, graph, "invoice_ubl.xml", "text/xml")
    expense = Expense.objects.get()
    assert graph.texts() == [
        f"Recorded expense #{expense.pk} from this e-invoice: Nordlicht Software GmbH, invoice NL-2026-0043 of "
        "Nov. 3, 2026, net EUR 249.00, tax EUR 47.31, gross EUR 296.31. Category: other (a manager can change it in "
        "the back office)."]


def test_the_same_einvoice_twice_is_recorded_once(assistant_without_llm, manager, say, graph):
    send(say, graph, "facturx_en16931.pdf", "application/pdf")
    send(say, graph, "facturx_en16931.pdf", "application/pdf")
    expense = Expense.objects.get()
    assert graph.texts()[-1] == (f"This e-invoice (Nordlicht Software GmbH, invoice NL-2026-0042) is already "
                                 f"recorded as expense #{expense.pk}. Nothing new was recorded.")
    assert list(IncomingEInvoice.objects.values_list("status", flat=True).order_by("id")) == ["recorded", "duplicate"]


@pytest.mark.parametrize("name, mime", [("broken_totals.xml", "application/xml"),
                                        ("pdf_with_broken_xml.pdf", "application/pdf")])
def test_a_broken_einvoice_gets_a_clear_answer_and_is_kept_for_review(fake_openai, manager, say, graph, name, mime):
    send(say, graph, name, mime)
    assert Expense.objects.count() == 0 and fake_openai.chat_requests == []
    [text] = graph.texts()
    assert text.startswith("I couldn't read this e-invoice: ") and "Nothing was recorded" in text
    record = IncomingEInvoice.objects.get()
    assert record.status == "unreadable" and record.problem
    with record.file.open("rb") as handle:
        assert handle.read() == fixture(name)
    assert record.message.media_file  # the message keeps its media too


def test_an_ordinary_pdf_still_goes_to_the_model_as_text(fake_openai, manager, say, graph):
    fake_openai.reply("What was it for?")
    send(say, graph, "plain.pdf", "application/pdf")
    assert "Shell - fuel 64.20 EUR" in fake_openai.chat_requests[0]["messages"][-1]["content"]
    assert IncomingEInvoice.objects.count() == 0


def test_staff_find_the_unreadable_ones_in_the_admin(fake_openai, manager, say, graph, client):
    send(say, graph, "broken_schema.xml", "application/xml")
    client.force_login(person(role=User.Role.STAFF))
    page = client.get(reverse("admin:agent_incomingeinvoice_changelist") + "?status__exact=unreadable")
    assert page.status_code == 200 and b"Could not be read (review it)" in page.content


# --- the business profile's admin -----------------------------------------------------------------
@pytest.mark.django_db
def test_a_manager_edits_the_one_business_profile(client):
    client.force_login(person(role=User.Role.MANAGER))
    opened = client.get(reverse("admin:agent_businessprofile_changelist"))
    assert opened.status_code == 302 and opened.url == reverse("admin:agent_businessprofile_change", args=[1])
    form = client.get(opened.url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields} | {
        "legal_name": "Ortega Plumbing GmbH", "country_code": "DE"}
    data.pop("logo")
    response = client.post(opened.url, data)
    assert response.status_code == 302
    assert client.get(reverse("admin:agent_businessprofile_change", args=[1])).context["original"].legal_name == (
        "Ortega Plumbing GmbH")


@pytest.mark.django_db
def test_staff_only_read_the_business_profile(client):
    client.force_login(person(role=User.Role.STAFF))
    url = reverse("admin:agent_businessprofile_change", args=[1])
    client.get(reverse("admin:agent_businessprofile_changelist"))
    assert client.post(url, {"legal_name": "Mine now"}).status_code == 403
