"""The business's own details (one BusinessProfile row) and whether an invoice can be issued.

An invoice is issued when its document is made (the PDF with its e-invoice, and later when it is
sent): that needs what the law and EN 16931 ask of both parties. What is missing is named, so the
admin, the API and the assistant can say exactly what to fill in.
"""

from agent.errors import ApplicationError
from agent.invoices.models import BusinessProfile
from agent.models import Invoice

# What the business profile must have (field, what a person calls it). A VAT id or a tax number,
# one of the two, is checked apart.
SELLER_REQUIRED = (
    ("legal_name", "legal name"), ("address_line1", "address"), ("postcode", "postcode"), ("city", "city"),
    ("country_code", "country code"), ("iban", "IBAN"),
)
BUYER_REQUIRED = (
    ("company_name", "name"), ("address", "address"), ("postal_code", "postcode"), ("city", "city"),
    ("country_code", "country code"),
)


class InvoiceNotIssuable(ApplicationError):
    """The invoice lacks what it needs to be issued; `missing` names it, per party."""

    def __init__(self, message: str, *, missing: dict[str, list[str]]):
        super().__init__(message, extra={"missing": missing})
        self.missing = missing


def business_profile() -> BusinessProfile:
    """The business profile (created empty the first time it is asked for)."""
    profile, _ = BusinessProfile.objects.get_or_create(pk=1)
    return profile


def seller_missing(profile: BusinessProfile) -> list[str]:
    missing = [label for field, label in SELLER_REQUIRED if not str(getattr(profile, field) or "").strip()]
    if not (profile.vat_id.strip() or profile.tax_number.strip()):
        missing.insert(min(5, len(missing)), "VAT id or tax number")
    return missing


def buyer_missing(customer) -> list[str]:
    return [label for field, label in BUYER_REQUIRED if not str(getattr(customer, field) or "").strip()]


def invoice_check_issuable(*, invoice, profile: BusinessProfile | None = None) -> BusinessProfile:
    """Raise InvoiceNotIssuable naming what is missing; return the business profile otherwise.

    A void invoice is not issued again; an invoice without lines cannot be.
    """
    if invoice.status == Invoice.Status.VOID:
        raise ApplicationError(f"Invoice {invoice.number} is void: it has no document.")
    profile = profile or business_profile()
    missing = {}
    if seller := seller_missing(profile):
        missing["business profile"] = seller
    if buyer := buyer_missing(invoice.customer):
        missing[f"customer {invoice.customer.company_name}"] = buyer
    if not invoice.lines.exists():
        missing[f"invoice {invoice.number}"] = ["lines"]
    if missing:
        what = "; ".join(f"the {party} lacks {', '.join(fields)}" for party, fields in missing.items())
        raise InvoiceNotIssuable(f"Invoice {invoice.number} cannot be issued yet: {what}.", missing=missing)
    return profile
