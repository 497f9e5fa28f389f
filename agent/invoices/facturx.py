"""The e-invoice of an invoice: Factur-X / ZUGFeRD XML (UN/CEFACT CII) at the EN 16931 profile.

Built with the factur-x library from a dict keyed by EN 16931 business terms (BT-1 the number,
BG-4 the seller, BG-25 the lines...), and checked against the official XML schema the library
ships before it is used. agent.invoices.pdf embeds it in the PDF.
"""

from decimal import Decimal

import facturx
from iso4217 import Currency

from config.display import round_cents
from agent.errors import ApplicationError
from agent.invoices.lines import totals_of
from agent.invoices.models import BusinessProfile

PROFILE = "en16931"
SPECIFICATION = "urn:cen.eu:en16931:2017"  # BT-24 of the EN 16931 profile
COMMERCIAL_INVOICE = "380"  # UNTDID 1001
SEPA_CREDIT_TRANSFER, CREDIT_TRANSFER = "58", "30"  # UNTDID 4461
FILENAME = "factur-x.xml"


class EInvoiceFailed(Exception):
    """The XML could not be built or did not pass the schema: a bug, never the person's input."""


def currency_check(code: str) -> None:
    """Amounts are kept in cents: a currency with another minor unit (JPY, KWD...) cannot be issued."""
    try:
        exponent = Currency(code).exponent
    except ValueError:
        raise ApplicationError(f"{code} is not an ISO 4217 currency: the invoice cannot be issued.") from None
    if exponent != 2:
        raise ApplicationError(f"Invoices in {code} cannot be issued: amounts are kept in cents, and {code} "
                               f"has {exponent} decimals.")


def invoice_xml(*, invoice, profile: BusinessProfile, lines) -> bytes:
    """The Factur-X (EN 16931) XML of `invoice` with its `lines`, validated against the schema."""
    currency_check(invoice.currency)
    try:
        return facturx.generate_cii_xml(_data(invoice, profile, list(lines)), level=PROFILE, check_xsd=True,
                                        check_schematron=False)
    except Exception as exc:  # the library raises plain Exception for a schema failure
        raise EInvoiceFailed(f"The e-invoice of {invoice.number} could not be built: {exc}") from exc


def _data(invoice, profile: BusinessProfile, lines) -> dict:
    totals = totals_of(lines)
    customer = invoice.customer
    data = {
        "BT-1": invoice.number,
        "BT-2": invoice.issued_on,
        "BT-3": COMMERCIAL_INVOICE,
        "BT-5": invoice.currency,
        "BT-9": invoice.due_on,
        "BT-24": SPECIFICATION,
        "BT-72": invoice.supplied_on or invoice.issued_on,
        "BG-4": _party(name=profile.legal_name, line1=profile.address_line1, line2=profile.address_line2,
                       postcode=profile.postcode, city=profile.city, country_code=profile.country_code,
                       vat_id=profile.vat_id) | ({"tax_identifier": profile.tax_number} if profile.tax_number else {}),
        "BG-7": _party(name=customer.company_name, line1=customer.address, line2=customer.address_line2,
                       postcode=customer.postal_code, city=customer.city, country_code=customer.country_code,
                       vat_id=customer.vat_id),
        "BT-81": SEPA_CREDIT_TRANSFER if invoice.currency == "EUR" else CREDIT_TRANSFER,
        "BT-83": invoice.number,
        "BT-84": profile.iban.replace(" ", "").upper(),
        "BG-23": [{"BT-116": _money(r.net), "BT-117": _money(r.tax), "BT-118": r.category,
                   "BT-119": _percent(r.rate)} for r in totals.by_rate],
        "BT-106": _money(totals.net),
        "BT-109": _money(totals.net),
        "BT-110": _money(totals.tax),
        "BT-112": _money(totals.gross),
        "BT-115": _money(totals.gross),
        "BG-25": [{"BT-126": str(position), "BT-153": line.description[:300],
                   "BT-129": _plain(line.quantity), "BT-130": line.unit, "BT-146": _plain(line.unit_price),
                   "BT-131": _money(Decimal(line.quantity) * Decimal(line.unit_price)),
                   "BT-151": "S" if line.tax_rate > 0 else "Z", "BT-152": _percent(line.tax_rate)}
                  for position, line in enumerate(lines, start=1)],
    }
    if profile.payment_terms.strip():
        data["BT-20"] = profile.payment_terms.strip()
    if profile.bic.strip():
        data["BT-86"] = profile.bic.replace(" ", "").upper()
    if invoice.description and invoice.description != (lines[0].description if lines else ""):
        data["BG-1"] = [{"BT-22": invoice.description[:1000]}]
    return data


def _party(*, name, line1, line2, postcode, city, country_code, vat_id) -> dict:
    party = {"name": name, "addr_l1": line1, "postcode": postcode, "city": city, "country_code": country_code}
    if line2:
        party["addr_l2"] = line2
    if vat_id:
        party["vat_identifier"] = vat_id.replace(" ", "").upper()
    return party


def _money(value) -> str:
    return f"{round_cents(Decimal(value)):.2f}"


def _percent(rate) -> str:
    return f"{Decimal(rate) * 100:.2f}"


def _plain(value) -> str:
    return f"{Decimal(value).normalize():f}"
