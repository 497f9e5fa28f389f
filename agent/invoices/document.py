"""The document of an invoice: a PDF/A-3 with everything an EU invoice must show, and its
Factur-X (EN 16931) e-invoice inside. What sending needs: `invoice_pdf` and `invoice_pdf_filename`.

Issuing needs the business profile and the customer's address complete (agent.invoices.profile):
otherwise InvoiceNotIssuable says what is missing.
"""

import base64
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string

from config.display import money
from agent.invoices import facturx, pdf
from agent.invoices.lines import totals_of
from agent.invoices.models import BusinessProfile, Unit
from agent.invoices.profile import invoice_check_issuable

TEMPLATE = "invoices/invoice.html"
LOGO_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


@dataclass(frozen=True)
class InvoiceDocument:
    """The issued document: the PDF (with the XML inside) and the XML alone."""

    pdf: bytes
    xml: bytes
    filename: str


def invoice_pdf_filename(invoice) -> str:
    return f"{invoice.number}.pdf"


def invoice_document(*, invoice) -> InvoiceDocument:
    """Issue `invoice`: check it may be issued, build its e-invoice, draw its PDF and embed the XML.

    Raises InvoiceNotIssuable (an ApplicationError) naming what is missing.
    """
    profile = invoice_check_issuable(invoice=invoice)
    lines = list(invoice.lines.order_by("position", "id"))
    xml = facturx.invoice_xml(invoice=invoice, profile=profile, lines=lines)
    html = invoice_html(invoice=invoice, profile=profile, lines=lines)
    seller = profile.legal_name
    document = pdf.embed_einvoice(
        pdf.html_to_pdf(html), xml, author=seller, title=f"{seller}: Invoice {invoice.number}",
        subject=f"Invoice {invoice.number} of {invoice.issued_on:%Y-%m-%d} from {seller} to "
                f"{invoice.customer.company_name}",
    )
    return InvoiceDocument(pdf=document, xml=xml, filename=invoice_pdf_filename(invoice))


def invoice_pdf(*, invoice) -> bytes:
    """The PDF/A-3 of `invoice` with its Factur-X XML inside (see invoice_document)."""
    return invoice_document(invoice=invoice).pdf


def invoice_html(*, invoice, profile: BusinessProfile, lines) -> str:
    """The page as HTML, from templates/invoices/invoice.html."""
    totals = totals_of(lines)
    currency = invoice.currency
    units = dict(Unit.choices)
    context = {
        "invoice": invoice, "customer": invoice.customer, "profile": profile, "fonts": pdf.fonts(),
        "logo": _logo_data_url(profile), "supplied_on": invoice.supplied_on or invoice.issued_on,
        # The invoice's description, unless it only repeats its one line.
        "subject": "" if lines and invoice.description == lines[0].description else invoice.description,
        "lines": [{"position": position, "description": line.description, "quantity": _quantity(line.quantity),
                   "unit": units.get(line.unit, line.unit), "unit_price": _price(line.unit_price, currency),
                   "tax_rate": _percent(line.tax_rate),
                   "net_amount": money(Decimal(line.quantity) * Decimal(line.unit_price), currency)}
                  for position, line in enumerate(lines, start=1)],
        "by_rate": [{"rate": _percent(r.rate), "net": money(r.net, currency), "tax": money(r.tax, currency)}
                    for r in totals.by_rate],
        "net": money(totals.net, currency), "tax": money(totals.tax, currency),
        "gross": money(totals.gross, currency),
    }
    return render_to_string(TEMPLATE, context)


def _logo_data_url(profile: BusinessProfile) -> str:
    if not profile.logo:
        return ""
    try:
        with profile.logo.open("rb") as handle:
            data = handle.read()
    except OSError:
        return ""  # a logo file that went missing leaves the invoice without it, not unissued
    mime = next((mime for magic, mime in LOGO_TYPES.items() if data.startswith(magic)), None)
    return f"data:{mime};base64,{base64.b64encode(data).decode()}" if mime else ""


def _quantity(value) -> str:
    return f"{Decimal(value).normalize():,f}"


def _price(value, currency: str) -> str:
    """A unit price: two decimals, or up to four when it has them."""
    value = Decimal(value)
    places = max(2, min(4, -value.normalize().as_tuple().exponent))
    return f"{currency} {value:,.{places}f}"


def _percent(rate) -> str:
    return f"{(Decimal(rate) * 100).normalize():f}%"
