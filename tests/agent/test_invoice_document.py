"""The invoice's document: the issue check, the PDF's text and its embedded Factur-X XML (schema,
the official EN 16931 schematron, parsed back) against the record, PDF/A-3 structure, the API and
admin downloads."""

import io
import re
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import User
from agent import services
from agent.invoices.document import invoice_document
from agent.invoices.incoming import einvoice_read
from agent.invoices.profile import InvoiceNotIssuable, business_profile
from tests.agent.document_support import addressed_customer, complete_profile
from tests.agent.factories import customer, person

pytestmark = pytest.mark.django_db

@pytest.fixture
def profile():
    return complete_profile()


@pytest.fixture
def buyer():
    return addressed_customer()


def make(buyer, **fields):
    return services.invoice_create(user=person(), customer_id=buyer.pk, **fields)


INVOICES = {
    "one line": {"description": "Consulting", "gross": "1,200"},
    "many lines": {"lines": [{"description": f"Part {n}", "quantity": n, "unit": "hour", "unit_price": "42.50"}
                             for n in range(1, 7)]},
    "two tax rates": {"lines": [{"description": "Repair", "quantity": "3.5", "unit": "HUR", "unit_price": "85"},
                                {"description": "Cleaning agent", "quantity": 2, "unit": "l", "unit_price": "7.495",
                                 "tax_rate": "7%"}], "supplied_on": "2026-01-02", "issued_on": "2026-01-05"},
    "US dollars": {"description": "Remote support", "net": "300", "tax_rate": "0", "currency": "USD"},
}


def schematron_failures(xml: bytes) -> list[str]:
    """The official EN 16931 Factur-X schematron (shipped with factur-x), run by Saxon-HE."""
    from saxonche import PySaxonProcessor

    stylesheet = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
    with PySaxonProcessor(license=False) as saxon:
        executable = saxon.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(stylesheet))
        report = executable.transform_to_string(xdm_node=saxon.parse_xml(xml_text=xml.decode()))
    return re.findall(r'<svrl:failed-assert[^>]*id="([^"]+)"', report)


@pytest.mark.parametrize("kind", INVOICES)
def test_the_pdf_and_its_xml_say_what_the_record_says(profile, buyer, kind):
    invoice = make(buyer, **INVOICES[kind])
    document = invoice_document(invoice=invoice)
    reader = PdfReader(io.BytesIO(document.pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    money = lambda amount: f"{invoice.currency} {Decimal(amount):,.2f}"  # noqa: E731
    for expected in [profile.legal_name, "Hafenstraße 12", "20457 Hamburg", "VAT id: DE123456789", buyer.company_name,
                     "Elbchaussee 5", "22765 Hamburg", f"Invoice {invoice.number}",
                     f"Issue date {invoice.issued_on:%Y-%m-%d}",
                     f"Supply date {(invoice.supplied_on or invoice.issued_on):%Y-%m-%d}",
                     f"Due date {invoice.due_on:%Y-%m-%d}", "IBAN DE89370400440532013000", "BIC COBADEFFXXX",
                     "Payable within 14 days.", f"Total net {money(invoice.net)}", f"Total tax {money(invoice.tax)}",
                     f"Total due (gross) {money(invoice.gross)}"]:
        assert expected in text, expected
    for line in invoice.lines.all():
        assert line.description in text and money(line.net_amount) in text
        assert f"{(line.tax_rate * 100).normalize():f}%" in text

    [attachment] = reader.attachment_list
    assert attachment.name == "factur-x.xml" and attachment.content == document.xml
    assert facturx.xml_check_xsd(document.xml, flavor="factur-x", level="en16931")
    assert schematron_failures(document.xml) == []
    read = einvoice_read(document.pdf, mime_type="application/pdf")
    assert (read.number, read.seller, read.seller_vat_id, read.issued_on, read.currency) == (
        invoice.number, profile.legal_name, "DE123456789", invoice.issued_on, invoice.currency)
    assert (read.net, read.tax, read.gross) == (invoice.net, invoice.tax, invoice.gross)
    assert read.line_names == tuple(invoice.lines.values_list("description", flat=True))


def test_two_rates_are_broken_down_in_the_xml(profile, buyer):
    invoice = make(buyer, **INVOICES["two tax rates"])
    read = einvoice_read(invoice_document(invoice=invoice).xml, mime_type="application/xml")
    assert [(r.rate, r.net, r.tax) for r in read.by_rate] == [
        (Decimal("0.1900"), Decimal("297.50"), Decimal("56.53")), (Decimal("0.0700"), Decimal("14.99"), Decimal("1.05"))]


def test_the_schematron_check_catches_totals_that_do_not_add_up(profile, buyer):
    xml = invoice_document(invoice=make(buyer, **INVOICES["one line"])).xml
    broken = xml.replace(b"<ram:GrandTotalAmount>1200.00</ram:GrandTotalAmount>",
                         b"<ram:GrandTotalAmount>1300.00</ram:GrandTotalAmount>")
    assert broken != xml and "BR-CO-15" in schematron_failures(broken)


def test_the_pdf_is_pdf_a_3_with_embedded_fonts_an_output_intent_and_factur_x_metadata(profile, buyer):
    reader = PdfReader(io.BytesIO(invoice_document(invoice=make(buyer, **INVOICES["one line"])).pdf))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part[^0-9]*3", xmp) and re.search(r"pdfaid:conformance[^A-Z]*B", xmp)
    assert "factur-x.xml" in xmp and "EN 16931" in xmp
    [intent] = root["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1" and intent.get_object()["/DestOutputProfile"]
    [filespec] = root["/AF"]
    assert filespec.get_object()["/AFRelationship"] == "/Data"
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            assert "/FontFile2" in font.get_object()["/FontDescriptor"], font.get_object()["/BaseFont"]


def test_it_cannot_be_issued_while_the_profile_or_customer_lacks_what_it_needs(buyer):
    business_profile()
    bare = customer(company_name="No Address Ltd")
    invoice = make(bare, description="Work", net="10")
    with pytest.raises(InvoiceNotIssuable) as refused:
        invoice_document(invoice=invoice)
    assert str(refused.value) == (
        f"Invoice {invoice.number} cannot be issued yet: the business profile lacks legal name, address, postcode, "
        "city, country code, VAT id or tax number, IBAN; the customer No Address Ltd lacks address, postcode, "
        "city, country code.")


def test_a_tax_number_does_instead_of_a_vat_id(profile, buyer):
    profile.vat_id, profile.tax_number = "", "22/123/45678"
    profile.save()
    text = PdfReader(io.BytesIO(invoice_document(invoice=make(buyer, description="Work", net="10")).pdf)).pages[0]
    assert "Tax number: 22/123/45678" in text.extract_text()


def test_the_api_serves_the_pdf_of_an_invoice(profile, buyer, api_client_for):
    invoice = make(buyer, description="Work", net="10")
    response = api_client_for(person()).get(f"/api/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_the_api_says_what_is_missing_instead_of_a_pdf(buyer, api_client_for):
    invoice = make(customer(company_name="Nowhere Inc"), description="Work", net="10")
    response = api_client_for(person()).get(f"/api/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 400
    assert response.json()["missing"]["customer Nowhere Inc"] == ["address", "postcode", "city", "country code"]


def test_the_api_pdf_checks_the_object_as_the_detail_does(profile, buyer, api_client_for):
    invoice = make(buyer, description="Work", net="10")
    assert api_client_for(person()).get("/api/invoices/999999/pdf/").status_code == 404
    assert api_client_for(person(role=User.Role.CUSTOMER)).get(f"/api/invoices/{invoice.pk}/pdf/").status_code == 403


def test_the_pdf_endpoint_is_in_the_openapi_schema(api_client_for):
    schema = api_client_for(person()).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "application/pdf" in schema["paths"]["/api/invoices/{id}/pdf/"]["get"]["responses"]["200"]["content"]
    assert "lines" in schema["components"]["schemas"]["InvoiceCreate"]["properties"]


def test_the_admin_invoice_page_offers_the_pdf_and_serves_it(profile, buyer, client):
    staff = person(role=User.Role.STAFF)
    client.force_login(staff)
    invoice = make(buyer, description="Work", net="10")
    page = client.get(reverse("admin:agent_invoice_change", args=[invoice.pk]))
    assert b'id="invoice-download-pdf"' in page.content and b"Download PDF" in page.content
    response = client.get(reverse("admin:agent_invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


def test_the_admin_says_what_is_missing_on_the_invoice_page_and_on_download(buyer, client):
    client.force_login(person(role=User.Role.STAFF))
    invoice = make(buyer, description="Work", net="10")
    page = client.get(reverse("admin:agent_invoice_change", args=[invoice.pk]))
    assert b"the business profile lacks legal name" in page.content
    response = client.get(reverse("admin:agent_invoice_pdf", args=[invoice.pk]), follow=True)
    assert "cannot be issued yet" in [str(m) for m in response.context["messages"]][0]


def test_the_admin_pdf_of_an_unknown_invoice_is_not_found(client):
    client.force_login(person(role=User.Role.STAFF))
    assert client.get(reverse("admin:agent_invoice_pdf", args=[424242])).status_code == 404
