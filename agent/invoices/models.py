"""Records of invoices as documents: lines, the business's own details, incoming e-invoices.

They belong to the agent app (app_label "agent"; agent.models imports them) and live here to keep
the document half of invoicing in one package.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

_country_code = RegexValidator(r"^[A-Z]{2}$", "Use the 2-letter ISO 3166 code, e.g. DE.")


class Unit(models.TextChoices):
    """Units of measure of a line, by their UN/ECE Recommendation 20 code (what EN 16931 uses)."""

    PIECE = "C62", "unit"
    HOUR = "HUR", "hour"
    DAY = "DAY", "day"
    WEEK = "WEE", "week"
    MONTH = "MON", "month"
    LUMP_SUM = "LS", "lump sum"
    KILOGRAM = "KGM", "kg"
    METRE = "MTR", "m"
    SQUARE_METRE = "MTK", "m²"
    LITRE = "LTR", "l"
    KILOMETRE = "KMT", "km"


class InvoiceLine(models.Model):
    """One line of an invoice: what was supplied, how much, at which net price and tax rate.

    `net_amount` is quantity × net unit price rounded to cents (EN 16931 BT-131); the invoice's
    totals are computed from its lines (agent.invoices.lines).
    """

    invoice = models.ForeignKey("agent.Invoice", on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=1)
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=4, default=1)
    unit = models.CharField(max_length=3, choices=Unit.choices, default=Unit.PIECE)
    unit_price = models.DecimalField("net unit price", max_digits=14, decimal_places=4)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4, help_text="A fraction: 0.1900 is 19%.")
    net_amount = models.DecimalField(max_digits=12, decimal_places=2, editable=False)

    class Meta:
        app_label = "agent"
        ordering = ["invoice", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="agent_invoiceline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="agent_invoiceline_price_not_negative"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0) & Q(tax_rate__lt=1),
                                   name="agent_invoiceline_tax_rate_fraction"),
        ]

    def __str__(self):
        return f"{self.position}. {self.description}"


class BusinessProfile(models.Model):
    """The business's own details printed on (and embedded in) every invoice. One row (pk 1).

    Which fields an invoice needs is decided in agent.invoices.profile.
    """

    legal_name = models.CharField(max_length=200, blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (second line)", max_length=200, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country_code = models.CharField(max_length=2, blank=True, validators=[_country_code],
                                    help_text="ISO 3166 two-letter code, e.g. DE.")
    vat_id = models.CharField("VAT id", max_length=32, blank=True, help_text="e.g. DE123456789.")
    tax_number = models.CharField(max_length=32, blank=True,
                                  help_text="The tax office's number, when there is no VAT id (or as well).")
    iban = models.CharField("IBAN", max_length=34, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    bank_name = models.CharField(max_length=100, blank=True)
    payment_terms = models.CharField(max_length=300, blank=True,
                                     help_text="Printed above the bank details, e.g. \"Payable within 14 days "
                                               "without deduction.\"")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    logo = models.ImageField(upload_to="business/", blank=True, help_text="PNG or JPEG, printed at the top.")
    footer = models.TextField(blank=True, help_text="Printed at the foot of every invoice (e.g. register court "
                                                    "and number, managing directors).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "agent"
        verbose_name = "business profile"
        verbose_name_plural = "business profile"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="agent_businessprofile_singleton")]

    def __str__(self):
        return self.legal_name or "Business profile"


class IncomingEInvoice(models.Model):
    """An e-invoice someone sent on WhatsApp (Factur-X / ZUGFeRD PDF, or XRechnung XML): what was
    read from it, and the expense it became, or why it could not be read (kept for review)."""

    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded as an expense"
        DUPLICATE = "duplicate", "Already recorded"
        UNREADABLE = "unreadable", "Could not be read (review it)"
        REVIEWED = "reviewed", "Reviewed by staff"

    message = models.OneToOneField("whatsapp.Message", on_delete=models.CASCADE, related_name="einvoice")
    sent_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    syntax = models.CharField(max_length=40, blank=True, help_text="e.g. Factur-X PDF (CII), XRechnung (UBL).")
    seller = models.CharField(max_length=200, blank=True)
    seller_vat_id = models.CharField(max_length=32, blank=True)
    number = models.CharField("invoice number", max_length=100, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    net = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    tax = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    gross = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    expense = models.ForeignKey("agent.Expense", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="einvoices")
    # A copy of the file, so that it outlives the chat media's retention while it waits for review.
    file = models.FileField(upload_to="einvoices/%Y/%m/", blank=True)
    problem = models.TextField(blank=True, help_text="Why it could not be read (for staff).")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "agent"
        ordering = ["-created_at", "-id"]
        verbose_name = "incoming e-invoice"
        indexes = [models.Index(fields=["seller_vat_id", "number"]), models.Index(fields=["seller", "number"])]

    def __str__(self):
        return f"{self.number or 'e-invoice'} from {self.seller or 'unknown seller'} ({self.status})"
